/// One key press, decoded from ncurses (or scripted by a test).
public enum Key: Sendable, Hashable, CustomStringConvertible {
    case character(Character)
    case control(Character)  // Ctrl-A … Ctrl-Z, as the lowercase letter
    case up, down, left, right, home, end, pageUp, pageDown
    case enter, escape, backspace, delete, tab, backTab
    case function(Int)
    case resize

    /// A test's keystrokes from a string: each character is a key; `\n` is Enter, `\t` Tab.
    public static func typed(_ text: String) -> [Key] {
        text.map { c in
            switch c {
            case "\n", "\r": return .enter
            case "\t": return .tab
            case "\u{1B}": return .escape
            case "\u{7F}": return .backspace
            default: return .character(c)
            }
        }
    }

    public var description: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let c): return String(c)
        case .control(let c): return "Ctrl-\(c.uppercased())"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .delete: return "Del"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .function(let n): return "F\(n)"
        case .resize: return "resize"
        }
    }
}
