import Foundation

public struct Size: Sendable, Hashable, CustomStringConvertible {
    public var rows: Int
    public var cols: Int
    public init(rows: Int, cols: Int) {
        self.rows = rows
        self.cols = cols
    }
    public var description: String { "\(cols)×\(rows)" }
}

public struct Rect: Sendable, Hashable {
    public var row: Int
    public var col: Int
    public var height: Int
    public var width: Int

    public init(row: Int, col: Int, height: Int, width: Int) {
        self.row = row
        self.col = col
        self.height = max(0, height)
        self.width = max(0, width)
    }

    public var bottom: Int { row + height }
    public var right: Int { col + width }
    public var isEmpty: Bool { height <= 0 || width <= 0 }

    public func inset(by amount: Int) -> Rect {
        Rect(row: row + amount, col: col + amount, height: height - 2 * amount, width: width - 2 * amount)
    }

    public func intersection(_ other: Rect) -> Rect {
        let top = max(row, other.row), left = max(col, other.col)
        return Rect(row: top, col: left, height: min(bottom, other.bottom) - top, width: min(right, other.right) - left)
    }
}

/// One screen cell. A character two columns wide occupies its cell and marks the next one as
/// its continuation, which the terminal skips and a snapshot omits.
public struct Cell: Sendable, Hashable {
    public var character: Character
    public var role: Role

    public static let blank = Cell(character: " ", role: .text)
    static let continuationMark: Character = "\u{0}"
    public var isContinuation: Bool { character == Self.continuationMark }
}

/// An in-memory screen: every widget draws here, tests compare it as text, and the ncurses
/// terminal presents it, writing only the rows that changed since the last frame.
public final class Grid: Equatable {
    public let size: Size
    /// Whether the terminal can show characters beyond ASCII; when not, others become `?`.
    public let unicode: Bool
    public private(set) var cells: [Cell]
    /// Where the terminal cursor should be shown (an input field), if anywhere.
    public var cursor: (row: Int, col: Int)?

    public init(size: Size, unicode: Bool = true) {
        self.size = Size(rows: max(0, size.rows), cols: max(0, size.cols))
        self.unicode = unicode
        cells = Array(repeating: .blank, count: self.size.rows * self.size.cols)
    }

    public var bounds: Rect { Rect(row: 0, col: 0, height: size.rows, width: size.cols) }
    public var surface: Surface { Surface(grid: self, rect: bounds) }

    public subscript(row: Int, col: Int) -> Cell {
        cells[row * size.cols + col]
    }

    func set(_ row: Int, _ col: Int, _ cell: Cell) {
        cells[row * size.cols + col] = cell
    }

    public func row(_ index: Int) -> ArraySlice<Cell> {
        cells[(index * size.cols)..<((index + 1) * size.cols)]
    }

    /// The screen as plain text, one line per row, trailing blanks trimmed.
    public var text: String {
        (0..<size.rows).map { rowText($0) }.joined(separator: "\n")
    }

    public func rowText(_ index: Int) -> String {
        var line = String(row(index).lazy.filter { !$0.isContinuation }.map(\.character))
        while line.last == " " { line.removeLast() }
        return line
    }

    /// The text with each run of a non-default role marked `«role:…»`, for snapshots that
    /// must show emphasis (a masked secret, an error message) and not only characters.
    public var styledText: String {
        (0..<size.rows).map { index in
            var line = ""
            var current: Role = .text
            for cell in row(index) where !cell.isContinuation {
                if cell.role != current {
                    if current != .text { line += "»" }
                    if cell.role != .text { line += "«\(cell.role.rawValue):" }
                    current = cell.role
                }
                line.append(cell.character)
            }
            if current != .text { line += "»" }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    public static func == (lhs: Grid, rhs: Grid) -> Bool {
        lhs.size == rhs.size && lhs.cells == rhs.cells && lhs.cursor?.row == rhs.cursor?.row && lhs.cursor?.col == rhs.cursor?.col
    }

    /// Display width of one character: 0 for a lone combining mark, 2 for wide East Asian
    /// forms and pictographs, else 1. Decided here rather than by `wcwidth`, whose answer
    /// depends on the locale, so tests and terminals agree.
    static func width(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        let value = scalar.value
        if value < 0x7F { return value < 0x20 ? 0 : 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        return wideRanges.contains { $0.contains(value) } ? 2 : 1
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
        0x1F900...0x1F9FF, 0x20000...0x3FFFD,
        // Emoji shown two columns wide: transport, regional-indicator flags, newer symbols, and
        // the common emoji-presentation characters of older blocks (⌚ ⏩ ☕ ⚡ ✅ ❌ ⭐).
        0x1F680...0x1F6FF, 0x1F1E6...0x1F1FF, 0x1FA70...0x1FAFF, 0x231A...0x231B, 0x23E9...0x23EC,
        0x2614...0x2615, 0x26A1...0x26A1, 0x2705...0x2705, 0x274C...0x274C, 0x2B50...0x2B50,
    ]
}

/// A clipped rectangle of a grid that widgets draw into; coordinates are relative to it.
public struct Surface {
    public let grid: Grid
    public let rect: Rect

    public init(grid: Grid, rect: Rect) {
        self.grid = grid
        self.rect = rect.intersection(grid.bounds)
    }

    public var width: Int { rect.width }
    public var height: Int { rect.height }
    public var glyphs: Glyphs { grid.unicode ? .unicode : .ascii }

    public func sub(_ relative: Rect) -> Surface {
        Surface(grid: grid, rect: Rect(row: rect.row + relative.row, col: rect.col + relative.col,
                                       height: relative.height, width: relative.width).intersection(rect))
    }

    public func sub(row: Int, col: Int = 0, height: Int, width: Int? = nil) -> Surface {
        sub(Rect(row: row, col: col, height: height, width: width ?? (self.width - col)))
    }

    /// Draws `text` on one line starting at `col`, clipped to the surface, with control
    /// characters shown as spaces or `?`. Returns the column after the last character drawn.
    @discardableResult
    public func text(_ text: String, row: Int, col: Int = 0, role: Role = .text, maxWidth: Int? = nil) -> Int {
        guard row >= 0, row < rect.height else { return col }
        let limit = min(rect.width, maxWidth.map { col + $0 } ?? rect.width)
        var column = col
        for character in text {
            var shown = character
            if character.isNewline || character == "\t" {
                shown = " "
            } else if let scalar = character.unicodeScalars.first, scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                shown = "?"
            } else if !grid.unicode && !character.isASCII {
                shown = "?"
            }
            let width = Grid.width(of: shown)
            if width == 0 { continue }
            if column + width > limit { break }
            if column >= 0 {
                grid.set(rect.row + row, rect.col + column, Cell(character: shown, role: role))
                if width == 2 { grid.set(rect.row + row, rect.col + column + 1, Cell(character: Cell.continuationMark, role: role)) }
            }
            column += width
        }
        return column
    }

    /// Text truncated with an ellipsis when it does not fit in `width` columns.
    @discardableResult
    public func clipped(_ text: String, row: Int, col: Int = 0, width: Int, role: Role = .text) -> Int {
        guard width > 0 else { return col }
        let fitted = Surface.fit(text, width: width, ellipsis: glyphs.ellipsis)
        return self.text(fitted, row: row, col: col, role: role, maxWidth: width)
    }

    public func fill(_ character: Character = " ", role: Role = .text) {
        fill(Rect(row: 0, col: 0, height: rect.height, width: rect.width), character, role: role)
    }

    public func fill(_ area: Rect, _ character: Character = " ", role: Role = .text) {
        let clipped = Rect(row: rect.row + area.row, col: rect.col + area.col, height: area.height, width: area.width).intersection(rect)
        guard !clipped.isEmpty else { return }
        let cell = Cell(character: character, role: role)
        for r in clipped.row..<clipped.bottom {
            for c in clipped.col..<clipped.right { grid.set(r, c, cell) }
        }
    }

    /// Repaints the cells of one row with `role`, keeping their characters (a selection bar).
    public func highlight(row: Int, role: Role) {
        guard row >= 0, row < rect.height else { return }
        for c in rect.col..<rect.right {
            var cell = grid[rect.row + row, c]
            cell.role = role
            grid.set(rect.row + row, c, cell)
        }
    }

    /// A frame around the surface with a title in its top edge; returns the inside.
    @discardableResult
    public func box(title: String = "", focused: Bool = false, hint: String = "") -> Surface {
        guard rect.height >= 2, rect.width >= 2 else { return sub(Rect(row: 0, col: 0, height: 0, width: 0)) }
        let g = glyphs
        let role: Role = focused ? .borderFocus : .border
        let horizontal = String(repeating: g.horizontal, count: rect.width - 2)
        text(String(g.topLeft) + horizontal + String(g.topRight), row: 0, role: role)
        text(String(g.bottomLeft) + horizontal + String(g.bottomRight), row: rect.height - 1, role: role)
        for r in 1..<(rect.height - 1) {
            text(String(g.vertical), row: r, col: 0, role: role)
            text(String(g.vertical), row: r, col: rect.width - 1, role: role)
        }
        if !title.isEmpty, rect.width > 6 {
            clipped(" \(title) ", row: 0, col: 2, width: rect.width - 4, role: focused ? .title : .header)
        }
        if !hint.isEmpty, rect.width > hint.count + 8 {
            text(" \(hint) ", row: rect.height - 1, col: rect.width - hint.count - 4, role: .dim)
        }
        return sub(Rect(row: 1, col: 1, height: rect.height - 2, width: rect.width - 2))
    }

    public static func fit(_ text: String, width: Int, ellipsis: Character = "…") -> String {
        guard width > 0 else { return "" }
        var used = 0
        var result = ""
        for character in text {
            let w = max(Grid.width(of: character), character.isNewline ? 1 : 0)
            if used + w > width {
                while used + 1 > width, let last = result.popLast() { used -= Grid.width(of: last) }
                result.append(ellipsis)
                return result
            }
            result.append(character)
            used += w
        }
        return result
    }
}

/// Line and block characters, with ASCII stand-ins for terminals whose locale is not UTF-8.
public struct Glyphs: Sendable {
    public let horizontal: Character
    public let vertical: Character
    public let topLeft: Character
    public let topRight: Character
    public let bottomLeft: Character
    public let bottomRight: Character
    public let dot: Character
    public let ellipsis: Character
    public let pointer: Character
    public let mark: Character
    public let gaugeFull: Character
    public let gaugeEmpty: Character
    public let sparks: [Character]

    public static let unicode = Glyphs(horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
                                       dot: "●", ellipsis: "…", pointer: "▶", mark: "✓", gaugeFull: "█", gaugeEmpty: "░",
                                       sparks: [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"])
    public static let ascii = Glyphs(horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
                                     dot: "*", ellipsis: "~", pointer: ">", mark: "x", gaugeFull: "#", gaugeEmpty: ".",
                                     sparks: [" ", ".", ".", ":", ":", "-", "=", "+", "#"])
}
