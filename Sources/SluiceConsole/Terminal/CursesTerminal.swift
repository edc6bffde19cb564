import CNCurses
import Foundation

/// The real terminal: ncurses set up for a full-screen dashboard. It presents grids, writing
/// only the rows that differ from the previous frame and finishing each frame with one
/// `doupdate`, so a quiet dashboard sends almost nothing over an SSH link.
final class CursesTerminal {
    let depth: ColourDepth
    let unicode: Bool
    private var theme: Theme
    private var paints: [Role: (attributes: UInt32, pair: Int16)] = [:]
    private var previous: Grid?
    private var open = true
    private var rowBuffer: [wchar_t] = []
    /// The benchmark's baseline: repaint every cell of every frame, as a naive console would.
    private let fullRepaint = ProcessInfo.processInfo.environment["SLUICE_DASH_FULL_REPAINT"] == "1"

    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    init(theme: Theme, colour: Bool) throws {
        setlocale(LC_ALL, "")
        // ncursesw needs the character set; numbers stay in C form for the rest of the process.
        setlocale(LC_NUMERIC, "C")
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            throw StartError(description: "sluice dash needs a terminal on standard input and output; run it in a terminal or over ssh -t")
        }
        guard let term = ProcessInfo.processInfo.environment["TERM"], !term.isEmpty, term != "dumb" else {
            throw StartError(description: "TERM is not set (or is \"dumb\"); set it to your terminal's type, e.g. TERM=xterm-256color")
        }
        unicode = sluice_is_utf8_locale() != 0
        set_escdelay(25)
        guard sluice_newterm() != nil else {
            throw StartError(description: "ncurses does not know the terminal type \"\(term)\"; try TERM=xterm-256color")
        }
        raw()
        noecho()
        nonl()
        keypad(sluice_stdscr(), true)
        curs_set(0)
        if colour && has_colors() {
            start_color()
            use_default_colors()
            depth = sluice_colors() >= 256 ? .ansi256 : .ansi8
        } else {
            depth = .monochrome
        }
        self.theme = theme
        applyTheme(theme)
    }

    deinit { close() }

    func applyTheme(_ theme: Theme) {
        self.theme = theme
        paints.removeAll()
        var pair: Int16 = 1
        for role in Role.allCases {
            let paint = theme.resolve(role, depth: depth)
            var attributes: UInt32 = 0
            if paint.attributes.contains(.bold) { attributes |= sluice_attr_bold() }
            if paint.attributes.contains(.underline) { attributes |= sluice_attr_underline() }
            if paint.attributes.contains(.reverse) { attributes |= sluice_attr_reverse() }
            if paint.attributes.contains(.dim) { attributes |= sluice_attr_dim() }
            var usedPair: Int16 = 0
            if depth != .monochrome, Int(pair) < Int(sluice_color_pairs()) {
                init_pair(pair, paint.foreground, paint.background)
                usedPair = pair
                pair += 1
            }
            paints[role] = (attributes, usedPair)
        }
        if let background = paints[.text], depth != .monochrome {
            bkgdset(chtype(UInt32(background.pair) << 8))
        }
        previous = nil
    }

    var size: Size {
        var rows: Int32 = 0, cols: Int32 = 0
        sluice_getmaxyx(sluice_stdscr(), &rows, &cols)
        return Size(rows: Int(rows), cols: Int(cols))
    }

    /// Writes the rows of `grid` that changed since the last frame, then one `doupdate`.
    /// Returns false when nothing differed, so nothing was sent.
    @discardableResult
    func present(_ grid: Grid) -> Bool {
        let screen = sluice_stdscr()
        let full = fullRepaint || previous == nil || previous?.size != grid.size
        if full { clearok(screen, true) }
        var changed = full
        for row in 0..<grid.size.rows {
            if !full, let previous, previous.row(row) == grid.row(row) { continue }
            changed = true
            write(row: row, of: grid)
        }
        let cursorMoved = previous?.cursor?.row != grid.cursor?.row || previous?.cursor?.col != grid.cursor?.col
        guard changed || cursorMoved else { return false }
        if let cursor = grid.cursor {
            curs_set(1)
            wmove(screen, Int32(cursor.row), Int32(cursor.col))
        } else {
            curs_set(0)
        }
        wnoutrefresh(screen)
        doupdate()
        previous = grid
        return true
    }

    private func write(row: Int, of grid: Grid) {
        let screen = sluice_stdscr()
        var col = 0
        let cells = Array(grid.row(row))
        while col < cells.count {
            let role = cells[col].role
            let start = col
            rowBuffer.removeAll(keepingCapacity: true)
            while col < cells.count, cells[col].role == role {
                if !cells[col].isContinuation {
                    for scalar in cells[col].character.unicodeScalars { rowBuffer.append(wchar_t(bitPattern: scalar.value)) }
                }
                col += 1
            }
            let paint = paints[role] ?? (0, 0)
            rowBuffer.withUnsafeBufferPointer { buffer in
                // Writing the bottom-right cell reports ERR (the cursor cannot advance) yet draws it.
                _ = sluice_put(screen, Int32(row), Int32(start), buffer.baseAddress, Int32(buffer.count), paint.attributes, paint.pair)
            }
        }
    }

    /// The next key, waiting at most `timeoutMs` (nil when none arrived).
    func readKey(timeoutMs: Int) -> Key? {
        let screen = sluice_stdscr()
        wtimeout(screen, Int32(max(0, timeoutMs)))
        var code: UInt32 = 0
        let result = sluice_get_wch(screen, &code)
        if result == ERR { return nil }
        if result == KEY_CODE_YES { return Self.functionKey(Int32(code)) }
        return Self.characterKey(code)
    }

    static func characterKey(_ code: UInt32) -> Key? {
        switch code {
        case 13, 10: return .enter
        case 9: return .tab
        case 27: return .escape
        case 8, 127: return .backspace
        case 1...26: return .control(Character(UnicodeScalar(code + 96)!))
        default:
            guard let scalar = UnicodeScalar(code) else { return nil }
            return .character(Character(scalar))
        }
    }

    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .backTab
        case KEY_RESIZE: return .resize
        case KEY_F0 + 1...KEY_F0 + 12: return .function(Int(code - KEY_F0))
        default: return nil
        }
    }

    /// Restores the terminal; safe to call more than once.
    func close() {
        guard open else { return }
        open = false
        curs_set(1)
        endwin()
    }
}
