import Foundation
import Testing
@testable import SluiceConsole

@Suite struct GridTests {
    @Test func textIsClippedToItsSurface() {
        let grid = Grid(size: Size(rows: 3, cols: 10))
        let inner = grid.surface.sub(Rect(row: 1, col: 2, height: 1, width: 5))
        inner.text("abcdefghij", row: 0)
        inner.text("zzz", row: 1)  // outside: ignored
        #expect(grid.text == "\n  abcde\n")
    }

    @Test func wideCharactersTakeTwoCellsAndNeverSplit() {
        let grid = Grid(size: Size(rows: 1, cols: 5))
        let end = grid.surface.text("日本語", row: 0)
        #expect(end == 4)
        #expect(grid.text == "日本")
    }

    @Test func controlCharactersCannotReachTheTerminal() {
        let grid = Grid(size: Size(rows: 1, cols: 12))
        grid.surface.text("a\u{1B}[2Jb\tc\nd", row: 0)
        #expect(grid.text == "a?[2Jb c d")
    }

    @Test func asciiGridsReplaceEverythingElse() {
        let grid = Grid(size: Size(rows: 3, cols: 8), unicode: false)
        grid.surface.box(title: "é")
        #expect(grid.text == "+- ? --+\n|      |\n+------+")
    }

    @Test func fitAddsAnEllipsis() {
        #expect(Surface.fit("abcdef", width: 4) == "abc…")
        #expect(Surface.fit("abc", width: 4) == "abc")
        #expect(Surface.fit("abcdef", width: 1) == "…")
    }

    @Test func styledTextMarksRoles() {
        let grid = Grid(size: Size(rows: 1, cols: 12))
        grid.surface.text("key ", row: 0)
        grid.surface.text("••••f00d", row: 0, col: 4, role: .secret)
        #expect(grid.styledText == "key «secret:••••f00d»")
    }

    @Test func gridsCompareCellByCell() {
        let a = Grid(size: Size(rows: 2, cols: 4)), b = Grid(size: Size(rows: 2, cols: 4))
        #expect(a == b)
        b.surface.text("x", row: 1, col: 3, role: .bad)
        #expect(a != b)
    }
}

@Suite struct WidgetTests {
    @Test func sparklineScalesToThePeakAndBucketsLongSeries() {
        let grid = Grid(size: Size(rows: 1, cols: 4))
        Sparkline.draw([0, 2, 4, 8], on: grid.surface)
        #expect(grid.text == " ▂▄█")
        #expect(Sparkline.bucket(Array(1...10), into: 5) == [2, 4, 6, 8, 10])
        #expect(Sparkline.bucket([1, 2], into: 5) == [1, 2])
    }

    @Test func tallSparklinesStackLevels() {
        let grid = Grid(size: Size(rows: 2, cols: 2))
        Sparkline.draw([8, 16], on: grid.surface)
        #expect(grid.text == " █\n██")
    }

    @Test func gaugeFillsInProportion() {
        let grid = Grid(size: Size(rows: 1, cols: 10))
        Gauge.draw(used: 3, total: 10, on: grid.surface, row: 0, width: 10)
        #expect(grid.text == "███░░░░░░░")
        #expect(grid[0, 0].role == .gaugeFill)
        #expect(grid[0, 9].role == .gaugeEmpty)
    }

    @Test func formats() {
        #expect(Format.count(1_234_567) == "1,234,567")
        #expect(Format.count(-12) == "-12")
        #expect(Format.milliseconds(0.25) == "0.2 ms" || Format.milliseconds(0.25) == "0.3 ms")
        #expect(Format.milliseconds(1_500) == "1.5 s")
        #expect(Format.duration(ms: 61_000) == "1m01s")
        #expect(Format.duration(ms: 90_000_000) == "1d01h")
        #expect(Format.clock(Fixtures.now + 61_000) == "10:01:01")
    }

    @Test func jsonLinesColourKeysAndValues() {
        let lines = JSONLines.render(#"{"a":1,"b":["x",true,null],"c":{}}"#)
        #expect(lines.map(\.plain) == ["{", "  \"a\": 1,", "  \"b\": [", "    \"x\",", "    true,", "    null", "  ],", "  \"c\": {}", "}"])
        #expect(lines[1].spans.map(\.role) == [.text, .jsonKey, .text, .jsonNumber, .text])
        #expect(JSONLines.render("not json").map(\.plain) == ["not json"])
    }

    @Test func lineEditorEditsLikeAShell() {
        var editor = LineEditor("hello world")
        _ = editor.handle(.control("w"))
        #expect(editor.text == "hello ")
        _ = editor.handle(.home)
        _ = editor.handle(.character(">"))
        _ = editor.handle(.end)
        _ = editor.handle(.backspace)
        #expect(editor.text == ">hello")
        _ = editor.handle(.left)
        _ = editor.handle(.control("k"))
        #expect(editor.text == ">hell")
        _ = editor.handle(.control("u"))
        #expect(editor.text == "")
        #expect(editor.handle(.enter) == .accepted)
        #expect(editor.handle(.escape) == .cancelled)
    }

    @Test func lineEditorPlacesTheCursorAndMasks() {
        let grid = Grid(size: Size(rows: 1, cols: 10))
        LineEditor("secret").draw(on: grid.surface, row: 0, col: 2, width: 8, focused: true, mask: "•")
        #expect(grid.text == "  ••••••")
        #expect(grid.cursor?.col == 8)
    }

    @Test func listSelectionStaysInBoundsAndInView() {
        var selection = ListSelection()
        _ = selection.handle(.character("G"), count: 50, page: 10)
        #expect(selection.index == 49)
        #expect(selection.scroll(count: 50, visible: 10) == 40)
        _ = selection.handle(.pageUp, count: 50, page: 10)
        #expect(selection.index == 39)
        #expect(selection.scroll(count: 50, visible: 10) == 39)
        _ = selection.handle(.character("g"), count: 50, page: 10)
        #expect(selection.scroll(count: 50, visible: 10) == 0)
        _ = selection.handle(.down, count: 0, page: 10)
        #expect(selection.index == 0)
    }
}

@Suite struct WidthTests {
    @Test func emojiTakeTwoColumnsLikeTheTerminalDrawsThem() {
        for emoji in ["🚀", "🇩🇪", "✅", "⭐", "🪐", "日"] { #expect(Grid.width(of: Character(emoji)) == 2, "\(emoji)") }
        for narrow in ["a", "é", "│", "●", "…"] { #expect(Grid.width(of: Character(narrow)) == 1, "\(narrow)") }
    }
}
