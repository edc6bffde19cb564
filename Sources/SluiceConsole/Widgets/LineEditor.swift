/// A one-line text editor: the filter prompt, the command line and the settings form's fields.
public struct LineEditor: Sendable, Hashable {
    public private(set) var text: String
    /// Cursor position in characters.
    public private(set) var cursor: Int

    public init(_ text: String = "") {
        self.text = text
        cursor = text.count
    }

    public enum Result: Sendable, Hashable { case editing, accepted, cancelled, ignored }

    /// Applies one key. Enter accepts, Esc cancels; keys an editor has no use for are ignored
    /// so the caller may handle them.
    public mutating func handle(_ key: Key) -> Result {
        cursor = min(cursor, text.count)
        switch key {
        case .character(let c):
            insert(c)
        case .backspace, .control("h"):
            guard cursor > 0 else { return .editing }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor - 1))
            cursor -= 1
        case .delete, .control("d"):
            guard cursor < text.count else { return .editing }
            text.remove(at: text.index(text.startIndex, offsetBy: cursor))
        case .left, .control("b"): cursor = max(0, cursor - 1)
        case .right, .control("f"): cursor = min(text.count, cursor + 1)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = text.count
        case .control("u"):
            text.removeSubrange(text.startIndex..<text.index(text.startIndex, offsetBy: cursor))
            cursor = 0
        case .control("k"):
            text.removeSubrange(text.index(text.startIndex, offsetBy: cursor)...)
        case .control("w"):
            let before = Array(text.prefix(cursor))
            var start = before.count
            while start > 0, before[start - 1] == " " { start -= 1 }
            while start > 0, before[start - 1] != " " { start -= 1 }
            text = String(before[..<start]) + text.dropFirst(cursor)
            cursor = start
        case .enter: return .accepted
        case .escape: return .cancelled
        default: return .ignored
        }
        return .editing
    }

    /// Inserts at the cursor. A combining mark or an emoji modifier arrives as its own key and
    /// merges into the character before it, so the cursor moves by what the text really grew.
    public mutating func insert(_ c: Character) {
        let before = text.count
        text.insert(c, at: text.index(text.startIndex, offsetBy: cursor))
        cursor += text.count - before
    }

    /// Draws the text (or `masked` stand-ins) scrolled so the cursor is visible, and places the
    /// terminal cursor when `focused`.
    public func draw(on surface: Surface, row: Int, col: Int, width: Int, role: Role = .input, focused: Bool, mask: Character? = nil) {
        guard width > 1 else { return }
        let shown = mask.map { String(repeating: $0, count: text.count) } ?? text
        let first = max(0, cursor - width + 1)
        let visible = String(shown.dropFirst(first).prefix(width))
        surface.fill(Rect(row: row, col: col, height: 1, width: width), role: role)
        surface.text(visible, row: row, col: col, role: role, maxWidth: width)
        if focused {
            let before = String(shown.dropFirst(first).prefix(cursor - first)).reduce(0) { $0 + Grid.width(of: $1) }
            surface.grid.cursor = (surface.rect.row + row, surface.rect.col + col + before)
        }
    }
}

/// A selection in a list that keeps itself within bounds and scrolled into view.
public struct ListSelection: Sendable, Hashable {
    public var index = 0
    public var offset = 0

    public init() {}

    public mutating func move(_ delta: Int, count: Int) {
        index = count == 0 ? 0 : min(count - 1, max(0, index + delta))
    }

    public mutating func handle(_ key: Key, count: Int, page: Int) -> Bool {
        switch key {
        case .down, .character("j"): move(1, count: count)
        case .up, .character("k"): move(-1, count: count)
        case .pageDown, .control("d"): move(max(1, page), count: count)
        case .pageUp, .control("u"): move(-max(1, page), count: count)
        case .home, .character("g"): index = 0
        case .end, .character("G"): index = max(0, count - 1)
        default: return false
        }
        return true
    }

    /// The first row to show so that the selection is within `visible` rows.
    public mutating func scroll(count: Int, visible: Int) -> Int {
        index = count == 0 ? 0 : min(index, count - 1)
        if index < offset { offset = index }
        if index >= offset + visible { offset = index - visible + 1 }
        offset = max(0, min(offset, max(0, count - visible)))
        return offset
    }
}
