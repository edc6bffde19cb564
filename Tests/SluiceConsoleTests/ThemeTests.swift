import Foundation
import XCTest
@testable import SluiceConsole

final class ThemeTests: XCTestCase {
    // MARK: - Shipped themes

    /// The repository root: the nearest directory above this file (symlinks resolved) holding
    /// both Package.swift and themes/.
    private static let repositoryRoot: URL? = {
        var directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        let files = FileManager.default
        while directory.path != "/" {
            if files.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
               files.fileExists(atPath: directory.appendingPathComponent("themes").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    private func themesDirectory() throws -> URL {
        let root = try XCTUnwrap(Self.repositoryRoot, "no directory above \(#filePath) holds Package.swift and themes/")
        return root.appendingPathComponent("themes")
    }

    private func shippedThemeFiles() throws -> [URL] {
        let directory = try themesDirectory()
        return try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".theme") }
            .sorted()
            .map { directory.appendingPathComponent($0) }
    }

    private func shippedThemes() throws -> [Theme] {
        try shippedThemeFiles().map { file in
            let name = file.deletingPathExtension().lastPathComponent
            return try Theme.parse(String(contentsOf: file, encoding: .utf8), name: name, file: "themes/" + file.lastPathComponent)
        }
    }

    func testTheRequiredThemesShip() throws {
        let names = try shippedThemeFiles().map { $0.deletingPathExtension().lastPathComponent }
        for required in ["default", "light", "high-contrast", "mono", "nord"] {
            XCTAssertTrue(names.contains(required), "themes/\(required).theme is missing")
        }
    }

    func testEveryShippedThemeParses() throws {
        for file in try shippedThemeFiles() {
            let text = try String(contentsOf: file, encoding: .utf8)
            XCTAssertNoThrow(try Theme.parse(text, name: "x", file: file.lastPathComponent), file.lastPathComponent)
        }
    }

    func testEveryShippedThemeStartsWithACommentNamingItAndSetsEveryRole() throws {
        for file in try shippedThemeFiles() {
            let name = file.deletingPathExtension().lastPathComponent
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
            XCTAssertTrue(lines.first?.hasPrefix("# \(name) ") ?? false, "\(name).theme should start with \"# \(name) — …\"")
            let keys = Set(lines.compactMap { line -> String? in
                guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { return nil }
                return line[..<equals].trimmingCharacters(in: .whitespaces)
            })
            for key in ["foreground", "background"] + Role.allCases.map(\.rawValue) {
                XCTAssertTrue(keys.contains(key), "\(name).theme does not set \(key)")
            }
        }
    }

    func testBuiltInDefaultIsByteIdenticalToTheDefaultThemeFile() throws {
        let file = try themesDirectory().appendingPathComponent("default.theme")
        let onDisk = try Data(contentsOf: file)
        XCTAssertEqual(Data(defaultThemeText.utf8), onDisk, "copy themes/default.theme into DefaultThemeText.swift")
        let parsed = try Theme.parse(String(decoding: onDisk, as: UTF8.self), name: "default", file: "default.theme")
        XCTAssertEqual(Theme.builtInDefault, parsed)
        XCTAssertEqual(Theme.builtInDefault.name, "default")
    }

    /// Checks that colour themes keep meanings apart; mono relies on attributes alone.
    func testShippedColourThemesKeepMeaningsApart() throws {
        for theme in try shippedThemes() where theme.name != "mono" {
            let foreground = { (role: Role) in theme.paint(role).foreground }
            XCTAssertEqual(Set([Role.good, .warn, .bad].map(foreground)).count, 3, "\(theme.name): good, warn, bad")
            XCTAssertEqual(Set([Role.jsonKey, .jsonString, .jsonNumber, .jsonLiteral].map(foreground)).count, 4, "\(theme.name): json.*")
            XCTAssertNotEqual(theme.paint(.gaugeFill), theme.paint(.gaugeEmpty), "\(theme.name): gauge")
            XCTAssertNotEqual(theme.paint(.secret), theme.paint(.text), "\(theme.name): secret")
            XCTAssertNotEqual(theme.paint(.error), theme.paint(.bad), "\(theme.name): error")
            XCTAssertNotEqual(theme.paint(.tabActive), theme.paint(.tab), "\(theme.name): tabs")
            for (role, basic) in [(Role.good, Int16(2)), (.warn, 3), (.bad, 1)] {
                XCTAssertEqual(theme.resolve(role, depth: .ansi8).foreground, basic, "\(theme.name): \(role.rawValue) in 8 colours")
            }
            for depth in [ColourDepth.ansi256, .ansi8] {
                let text = theme.resolve(.text, depth: depth)
                let selection = theme.resolve(.selection, depth: depth)
                XCTAssertTrue(selection.attributes.contains(.reverse) || selection.background != text.background,
                              "\(theme.name): selection invisible at \(depth)")
                for role in Role.allCases {
                    let paint = theme.resolve(role, depth: depth)
                    XCTAssertTrue(paint.foreground == -1 || paint.foreground != paint.background,
                                  "\(theme.name): \(role.rawValue) is same-on-same at \(depth)")
                }
            }
        }
    }

    /// WCAG contrast of each text role on its own background, as a 256-colour terminal shows it.
    func testShippedColourThemesAreReadable() throws {
        let faintRoles: Set<Role> = [.border, .disabled, .gaugeEmpty, .gaugeFill, .sparkline]
        for theme in try shippedThemes() where theme.name != "mono" {
            for role in Role.allCases {
                let paint = theme.resolve(role, depth: .ansi256)
                guard paint.foreground >= 0, paint.background >= 0 else { continue }
                let ratio = contrast(Palette.xterm256[Int(paint.foreground)], Palette.xterm256[Int(paint.background)])
                // Nord's own red on nord0 is 2.5 once fitted to 256 colours; that is the floor.
                let least = faintRoles.contains(role) ? 1.3 : 2.5
                XCTAssertGreaterThanOrEqual(ratio, least, "\(theme.name): \(role.rawValue) contrast")
            }
        }
    }

    private func contrast(_ first: Palette.RGB, _ second: Palette.RGB) -> Double {
        func luminance(_ colour: Palette.RGB) -> Double {
            func linear(_ channel: Int) -> Double {
                let value = Double(channel) / 255
                return value <= 0.03928 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * linear(colour.red) + 0.7152 * linear(colour.green) + 0.0722 * linear(colour.blue)
        }
        let (a, b) = (luminance(first), luminance(second))
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)
    }

    func testPaintDescriptionsParseBackToTheSameTheme() throws {
        for theme in try shippedThemes() {
            var lines = ["foreground = \(theme.base.foreground)", "background = \(theme.base.background)"]
            lines += Role.allCases.map { "\($0.rawValue) = \(theme.paint($0))" }
            let reparsed = try Theme.parse(lines.joined(separator: "\n"), name: theme.name, file: "round-trip")
            XCTAssertEqual(reparsed, theme, theme.name)
        }
    }

    func testReadmeFormatExampleParses() throws {
        let readme = try String(contentsOf: themesDirectory().appendingPathComponent("README.md"), encoding: .utf8)
        let format = try XCTUnwrap(readme.range(of: "## The file format"))
        let blocks = readme[format.upperBound...].components(separatedBy: "```")
        XCTAssertGreaterThan(blocks.count, 2)
        let example = try Theme.parse(blocks[1], name: "example", file: "README.md")
        XCTAssertEqual(example.paint(.title), Paint(foreground: .rgb(0x88, 0xc0, 0xd0), background: .rgb(0x2e, 0x34, 0x40), attributes: .bold))
        XCTAssertEqual(example.paint(.status).background, .rgb(0x43, 0x4c, 0x5e))
    }

    // MARK: - Values

    private func parse(_ text: String) throws -> Theme {
        try Theme.parse(text, name: "test", file: "test.theme")
    }

    func testColourForms() throws {
        let theme = try parse("""
            text = #1e1e2e
            title = #ABC
            header = 7
            border = 255
            dim = 000
            key = default
            """)
        XCTAssertEqual(theme.paint(.text).foreground, .rgb(0x1e, 0x1e, 0x2e))
        XCTAssertEqual(theme.paint(.title).foreground, .rgb(0xaa, 0xbb, 0xcc))
        XCTAssertEqual(theme.paint(.header).foreground, .index(7))
        XCTAssertEqual(theme.paint(.border).foreground, .index(255))
        XCTAssertEqual(theme.paint(.dim).foreground, .index(0))
        XCTAssertEqual(theme.paint(.key).foreground, .terminalDefault)
    }

    func testOnSetsTheBackground() throws {
        let theme = try parse("""
            selection = 0 on 110
            status = default on #3b4252
            input = on 236
            """)
        XCTAssertEqual(theme.paint(.selection), Paint(foreground: .index(0), background: .index(110)))
        XCTAssertEqual(theme.paint(.status), Paint(foreground: .terminalDefault, background: .rgb(0x3b, 0x42, 0x52)))
        XCTAssertEqual(theme.paint(.input), Paint(foreground: .terminalDefault, background: .index(236)))
    }

    func testAttributes() throws {
        let theme = try parse("""
            text = 1 bold underline reverse dim
            accent = 2 on 3 BOLD
            input = underline
            title = 4 plain
            """)
        XCTAssertEqual(theme.paint(.text).attributes, [.bold, .underline, .reverse, .dim])
        XCTAssertEqual(theme.paint(.accent), Paint(foreground: .index(2), background: .index(3), attributes: .bold))
        XCTAssertEqual(theme.paint(.input).attributes, .underline)
        XCTAssertEqual(theme.paint(.title).attributes, [])
    }

    func testRolesInheritForegroundAndBackgroundWithBuiltInAttributes() throws {
        let theme = try parse("""
            foreground = #111111
            background = #222222
            title = #333333
            tab.active = 4 underline
            """)
        let base = Paint(foreground: .rgb(0x11, 0x11, 0x11), background: .rgb(0x22, 0x22, 0x22))
        XCTAssertEqual(theme.base, base)
        XCTAssertEqual(theme.paint(.text), base)
        XCTAssertEqual(theme.paint(.jsonKey), base)
        XCTAssertEqual(theme.paint(.title), Paint(foreground: .rgb(0x33, 0x33, 0x33), background: base.background, attributes: .bold))
        XCTAssertEqual(theme.paint(.header).attributes, .bold)
        XCTAssertEqual(theme.paint(.key).attributes, .bold)
        XCTAssertEqual(theme.paint(.error).attributes, .bold)
        XCTAssertEqual(theme.paint(.tabActive).attributes, .underline, "a line's attributes replace the built-in ones")
        XCTAssertEqual(theme.paint(.selection).attributes, .reverse)
    }

    func testSelectionReversesOnlyWithoutItsOwnBackground() throws {
        XCTAssertEqual(try parse("selection = 1").paint(.selection).attributes, .reverse)
        XCTAssertEqual(try parse("selection = 0 on 110").paint(.selection).attributes, [])
        XCTAssertEqual(try parse("").paint(.selection).attributes, .reverse)
        XCTAssertEqual(try parse("").paint(.text), Paint())
    }

    func testCommentsBlankLinesAndLineEndings() throws {
        let theme = try parse("\u{FEFF}# a theme\r\n\r\n   # indented comment\r\n#title = 9\r\n#\r\ntitle = #88c0d0 bold # frost\r\n\ttext = 7\t\r\n")
        XCTAssertEqual(theme.paint(.title), Paint(foreground: .rgb(0x88, 0xc0, 0xd0), attributes: .bold))
        XCTAssertEqual(theme.paint(.text).foreground, .index(7))
        XCTAssertEqual(try parse("text=5").paint(.text).foreground, .index(5))
    }

    // MARK: - Errors

    private func parseError(_ text: String, file: String = "test.theme") -> String? {
        do {
            _ = try Theme.parse(text, name: "test", file: file)
            return nil
        } catch {
            return error.description
        }
    }

    func testUnknownKeySuggestsTheClosest() {
        let text = String(repeating: "# comment\n", count: 11) + "titel = 1\n"
        XCTAssertEqual(parseError(text, file: "themes/nord.theme"), "themes/nord.theme:12: unknown key \"titel\"; did you mean \"title\"?")
        XCTAssertEqual(parseError("border_focus = 1"), "test.theme:1: unknown key \"border_focus\"; did you mean \"border.focus\"?")
        XCTAssertEqual(parseError("Foreground = 1"), "test.theme:1: unknown key \"Foreground\"; did you mean \"foreground\"?")
    }

    func testUnknownKeyWithNothingCloseListsTheKeys() {
        let keys = (["foreground", "background"] + Role.allCases.map(\.rawValue)).joined(separator: ", ")
        XCTAssertEqual(parseError("wallpaper = 1"), "test.theme:1: unknown key \"wallpaper\"; the keys are \(keys)")
    }

    func testBadColours() {
        let text = "# c\n\ntext = 1\ntitle = #12345g\n"
        XCTAssertEqual(parseError(text), "test.theme:4: \"#12345g\" is not a colour; use 0–255, #rrggbb or default")
        XCTAssertEqual(parseError("text = 256"), "test.theme:1: \"256\" is not a colour; use 0–255, #rrggbb or default")
        XCTAssertEqual(parseError("text = #12"), "test.theme:1: \"#12\" is not a colour; use 0–255, #rrggbb or default")
        XCTAssertEqual(parseError("text = red"), "test.theme:1: \"red\" is not a colour; use 0–255, #rrggbb or default")
        XCTAssertEqual(parseError("text = -1"), "test.theme:1: \"-1\" is not a colour; use 0–255, #rrggbb or default")
        XCTAssertEqual(parseError("text = 1 on #xyz"), "test.theme:1: \"#xyz\" is not a colour; use 0–255, #rrggbb or default")
        XCTAssertEqual(parseError("background = blue"), "test.theme:1: \"blue\" is not a colour; use 0–255, #rrggbb or default")
    }

    func testLineWithoutEquals() {
        let text = "text = 1\n\n# c\ntitle = 2\n\nkey = 3\nborder 4\n"
        XCTAssertEqual(parseError(text), "test.theme:7: expected key = value")
        XCTAssertEqual(parseError("= 4"), "test.theme:1: expected key = value")
    }

    func testDuplicateKey() {
        XCTAssertEqual(parseError("title = 1\ntext = 2\ntitle = 3"), "test.theme:3: duplicate key \"title\"; it was already set on line 1")
    }

    func testMissingValue() {
        XCTAssertEqual(parseError("title =  # later"),
                       "test.theme:1: missing value for \"title\"; expected COLOUR [on COLOUR] [bold] [underline] [reverse] [dim]")
        XCTAssertEqual(parseError("background ="), "test.theme:1: missing value for \"background\"; expected COLOUR")
    }

    func testMisplacedWords() {
        let shape = "COLOUR [on COLOUR] [bold] [underline] [reverse] [dim]"
        XCTAssertEqual(parseError("title = 1 on"), "test.theme:1: \"on\" must be followed by a background colour")
        XCTAssertEqual(parseError("title = bold #fff"), "test.theme:1: colour \"#fff\" is out of place; write \(shape)")
        XCTAssertEqual(parseError("title = 1 bold on 2"), "test.theme:1: \"on\" must come right after the foreground colour; write \(shape)")
        XCTAssertEqual(parseError("foreground = #fff bold"), "test.theme:1: \"foreground\" takes a single colour, not \"#fff bold\"")
    }

    func testUnknownAttributes() {
        XCTAssertEqual(parseError("title = 1 blod"), "test.theme:1: unknown attribute \"blod\"; did you mean \"bold\"?")
        XCTAssertEqual(parseError("title = blod"), "test.theme:1: unknown attribute \"blod\"; did you mean \"bold\"?")
        XCTAssertEqual(parseError("title = 1 sparkly"), "test.theme:1: unknown attribute \"sparkly\"; use bold, underline, reverse, dim or plain")
        XCTAssertEqual(parseError("title = 1 plain bold"), "test.theme:1: \"plain\" means no attributes, so it cannot be combined with bold")
    }

    func testFirstErrorWins() {
        XCTAssertEqual(parseError("titel = 1\ntext = nope\n"), "test.theme:1: unknown key \"titel\"; did you mean \"title\"?")
    }

    // MARK: - Colour reduction

    private func resolved(_ colour: String, _ depth: ColourDepth) throws -> Int16 {
        try parse("text = \(colour)").resolve(.text, depth: depth).foreground
    }

    func testNearest256() throws {
        XCTAssertEqual(try resolved("#ff0000", .ansi256), 196)
        XCTAssertEqual(try resolved("#808080", .ansi256), 244)
        XCTAssertEqual(try resolved("#000000", .ansi256), 16)
        XCTAssertEqual(try resolved("#5f87af", .ansi256), 67)
        XCTAssertEqual(try resolved("#ffffff", .ansi256), 231)
        XCTAssertEqual(try resolved("#eeeeee", .ansi256), 255)
        XCTAssertEqual(try resolved("#2e3440", .ansi256), 237)
        XCTAssertEqual(try resolved("#88c0d0", .ansi256), 110)
        XCTAssertEqual(try resolved("#fff", .ansi256), 231)
    }

    func testIndexesAndDefaultPassThroughAt256() throws {
        XCTAssertEqual(try resolved("3", .ansi256), 3)
        XCTAssertEqual(try resolved("244", .ansi256), 244)
        XCTAssertEqual(try resolved("default", .ansi256), -1)
        XCTAssertEqual(try resolved("default", .ansi8), -1)
    }

    func testNearest8() throws {
        let expected: [(colour: String, basic: Int16)] = [
            ("#ff0000", 1), ("#00ff00", 2), ("#ffff00", 3), ("#0000ff", 4), ("#ff00ff", 5), ("#00ffff", 6), ("#ffffff", 7),
            ("#202020", 0), ("#3b4252", 0), ("#002b36", 0), ("#808080", 7), ("#eceff4", 7),
            ("#bf616a", 1), ("#a3be8c", 2), ("#ebcb8b", 3), ("#88c0d0", 6), ("#5e81ac", 4), ("#b48ead", 7), ("#a020f0", 5),
            ("#859900", 2), ("#268bd2", 4), ("#2aa198", 6), ("#d33682", 5), ("#cb4b16", 1), ("#ffa500", 3),
            ("16", 0), ("196", 1), ("114", 2), ("221", 3), ("203", 1), ("25", 4), ("240", 0), ("244", 7), ("255", 7),
        ]
        for (colour, basic) in expected {
            XCTAssertEqual(try resolved(colour, .ansi8), basic, colour)
        }
    }

    func testIndexesFoldOntoTheBasicEight() throws {
        for index in 0..<8 {
            XCTAssertEqual(try resolved(String(index), .ansi8), Int16(index))
            XCTAssertEqual(try resolved(String(index + 8), .ansi8), Int16(index))
        }
    }

    func testDifferentColoursNeverCollapseIntoSameOnSame() throws {
        let folded = try parse("text = 8 on 0").resolve(.text, depth: .ansi8)
        XCTAssertEqual(folded.background, 0)
        XCTAssertEqual(folded.foreground, 7, "grey on black must stay visible")
        let near = try parse("text = #313131 on #303030").resolve(.text, depth: .ansi256)
        XCTAssertEqual(near.background, 236)
        XCTAssertEqual(near.foreground, 237)
        let darkOnBlack = try parse("text = #3b4252 on #000000").resolve(.text, depth: .ansi8)
        XCTAssertEqual(darkOnBlack, ResolvedPaint(foreground: 7, background: 0, attributes: []))
        let lightOnWhite = try parse("text = #dddddd on 15").resolve(.text, depth: .ansi8)
        XCTAssertEqual(lightOnWhite, ResolvedPaint(foreground: 0, background: 7, attributes: []))
        let intended = try parse("text = 4 on 4").resolve(.text, depth: .ansi8)
        XCTAssertEqual(intended, ResolvedPaint(foreground: 4, background: 4, attributes: []))
    }

    func testResolvedPaintKeepsAttributesAndBackground() throws {
        let theme = try parse("selection = #000000 on #5f87af bold")
        XCTAssertEqual(theme.resolve(.selection, depth: .ansi256), ResolvedPaint(foreground: 16, background: 67, attributes: .bold))
        XCTAssertEqual(theme.resolve(.selection, depth: .ansi8), ResolvedPaint(foreground: 0, background: 4, attributes: .bold))
    }

    // MARK: - Monochrome

    func testMonochromeAttributesPerRole() {
        let expected: [Role: Attributes] = [
            .selection: .reverse, .tabActive: .reverse,
            .title: .bold, .header: .bold, .key: .bold, .bad: .bold, .error: .bold, .borderFocus: .bold,
            .dim: .dim, .disabled: .dim, .gaugeEmpty: .dim,
        ]
        for role in Role.allCases {
            XCTAssertEqual(role.monochromeAttributes, expected[role] ?? [], role.rawValue)
        }
    }

    func testMonochromeDropsColoursAndAddsEmphasis() throws {
        let theme = try parse("""
            foreground = #eeeeee
            background = #111111
            selection = 1 on 2
            title = 3 plain
            text = 4 underline
            bad = 5 dim
            """)
        XCTAssertEqual(theme.resolve(.selection, depth: .monochrome), ResolvedPaint(foreground: -1, background: -1, attributes: .reverse))
        XCTAssertEqual(theme.resolve(.title, depth: .monochrome), ResolvedPaint(foreground: -1, background: -1, attributes: .bold))
        XCTAssertEqual(theme.resolve(.text, depth: .monochrome), ResolvedPaint(foreground: -1, background: -1, attributes: .underline))
        XCTAssertEqual(theme.resolve(.bad, depth: .monochrome).attributes, [.bold, .dim])
        XCTAssertEqual(theme.resolve(.gaugeEmpty, depth: .monochrome).attributes, .dim)
        XCTAssertEqual(theme.resolve(.good, depth: .monochrome).attributes, [])
    }

    func testColourDepthForTerminal() {
        XCTAssertEqual(ColourDepth.forTerminal(colourCount: 256, environment: [:]), .ansi256)
        XCTAssertEqual(ColourDepth.forTerminal(colourCount: 16, environment: [:]), .ansi8)
        XCTAssertEqual(ColourDepth.forTerminal(colourCount: 8, environment: [:]), .ansi8)
        XCTAssertEqual(ColourDepth.forTerminal(colourCount: 0, environment: [:]), .monochrome)
        XCTAssertEqual(ColourDepth.forTerminal(colourCount: 256, environment: ["NO_COLOR": "1"]), .monochrome)
        XCTAssertEqual(ColourDepth.forTerminal(colourCount: 256, environment: ["NO_COLOR": ""]), .ansi256)
        XCTAssertEqual(ColourDepth.forTerminal(colourCount: 256, environment: [:], noColourFlag: true), .monochrome)
    }

    // MARK: - Loading

    private var temporaryDirectories: [URL] = []

    override func tearDown() {
        for directory in temporaryDirectories {
            try? FileManager.default.removeItem(at: directory)
        }
        temporaryDirectories = []
        super.tearDown()
    }

    private func temporaryDirectory(_ files: [String: String]) throws -> String {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-theme-tests-\(UUID().uuidString)")
            .resolvingSymlinksInPath()
        temporaryDirectories.append(directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in files {
            let file = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        return directory.path
    }

    func testLoadsByNameFromTheFirstDirectoryThatHasIt() throws {
        let first = try temporaryDirectory(["calm.theme": "text = 1\n"])
        let second = try temporaryDirectory(["calm.theme": "text = 2\n", "bright.theme": "text = 3\n"])
        let calm = Theme.load(named: "calm", searchPaths: [first, second])
        XCTAssertNil(calm.warning)
        XCTAssertEqual(calm.theme.name, "calm")
        XCTAssertEqual(calm.theme.paint(.text).foreground, .index(1))
        let bright = Theme.load(named: "bright", searchPaths: [first, second])
        XCTAssertNil(bright.warning)
        XCTAssertEqual(bright.theme.paint(.text).foreground, .index(3))
    }

    func testLoadsByPath() throws {
        let directory = try temporaryDirectory(["mine.theme": "text = 9\n", "sub/other.theme": "text = 8\n"])
        let mine = Theme.load(named: directory + "/mine.theme", searchPaths: [])
        XCTAssertNil(mine.warning)
        XCTAssertEqual(mine.theme.name, "mine")
        XCTAssertEqual(mine.theme.paint(.text).foreground, .index(9))
        let other = Theme.load(named: directory + "/sub/other.theme", searchPaths: [directory])
        XCTAssertEqual(other.theme.name, "other")
        let home = Theme.load(named: "~/sluice-no-such-theme.theme", searchPaths: [])
        XCTAssertFalse(home.warning?.contains("~") ?? true, "a leading ~ is the home directory")
        let missing = Theme.load(named: directory + "/nope.theme", searchPaths: [directory])
        XCTAssertEqual(missing.theme, Theme.builtInDefault)
        XCTAssertEqual(missing.warning, "theme file \"\(directory)/nope.theme\" not found")
    }

    func testMissingThemeFallsBackToDefaultAndSaysWhereItLooked() throws {
        let first = try temporaryDirectory(["zeta.theme": "", "alpha.theme": "", "notes.txt": "", ".hidden.theme": ""])
        let second = try temporaryDirectory(["alpha.theme": ""])
        let result = Theme.load(named: "nord-ish", searchPaths: [first, second])
        XCTAssertEqual(result.theme, Theme.builtInDefault)
        XCTAssertEqual(result.warning, "no theme named \"nord-ish\" in \(first), \(second); available: alpha, default, zeta")
    }

    func testBrokenThemeFallsBackToDefaultWithTheParseError() throws {
        let directory = try temporaryDirectory(["broken.theme": "# broken\ntitel = 1\n"])
        let result = Theme.load(named: "broken", searchPaths: [directory])
        XCTAssertEqual(result.theme, Theme.builtInDefault)
        XCTAssertEqual(result.warning, "\(directory)/broken.theme:2: unknown key \"titel\"; did you mean \"title\"?")
    }

    func testUnreadableThemeFallsBackToDefault() throws {
        let directory = try temporaryDirectory([:])
        try Data([0x74, 0x65, 0x78, 0x74, 0x20, 0x3d, 0xff, 0xfe]).write(to: URL(fileURLWithPath: directory + "/binary.theme"))
        let result = Theme.load(named: "binary", searchPaths: [directory])
        XCTAssertEqual(result.theme, Theme.builtInDefault)
        XCTAssertEqual(result.warning, "\(directory)/binary.theme: cannot read the theme file (is it UTF-8 text?)")
    }

    func testDefaultNeedsNoFileButAFileOverridesIt() throws {
        let empty = try temporaryDirectory([:])
        let builtIn = Theme.load(named: "default", searchPaths: [empty])
        XCTAssertNil(builtIn.warning)
        XCTAssertEqual(builtIn.theme, Theme.builtInDefault)
        let custom = try temporaryDirectory(["default.theme": "text = 1\n"])
        XCTAssertEqual(Theme.load(named: "default", searchPaths: [custom]).theme.paint(.text).foreground, .index(1))
    }

    func testShippedThemesLoadByName() throws {
        let directory = try themesDirectory().path
        for name in Theme.available(in: [directory]) {
            let result = Theme.load(named: name, searchPaths: [directory])
            XCTAssertNil(result.warning, name)
            XCTAssertEqual(result.theme.name, name)
        }
    }

    func testAvailableIsSortedUniqueAndIncludesDefault() throws {
        let first = try temporaryDirectory(["b.theme": "", "a.theme": "", "readme.md": "", "dir.theme/x": ""])
        let second = try temporaryDirectory(["a.theme": "", "c.theme": ""])
        XCTAssertEqual(Theme.available(in: [first, second, "/nonexistent-sluice-themes"]), ["a", "b", "c", "default"])
        XCTAssertEqual(Theme.available(in: []), ["default"])
    }

    func testDefaultSearchPaths() throws {
        let install = try temporaryDirectory(["themes/x.theme": "", "bin/deep/er/sluice": ""])
        let executable = install + "/bin/deep/er/sluice"
        XCTAssertEqual(
            Theme.defaultSearchPaths(environment: ["SLUICE_THEMES": "/a:/b", "XDG_CONFIG_HOME": "/cfg", "HOME": "/home/u"], executablePath: executable),
            ["/a", "/b", "/cfg/sluice/themes", "./themes", install + "/themes"])
        XCTAssertEqual(
            Theme.defaultSearchPaths(environment: ["HOME": "/home/u"], executablePath: nil),
            ["/home/u/.config/sluice/themes", "./themes"])
        XCTAssertEqual(
            Theme.defaultSearchPaths(environment: ["HOME": "/home/u", "SLUICE_THEMES": "/home/u/.config/sluice/themes"], executablePath: nil),
            ["/home/u/.config/sluice/themes", "./themes"], "duplicates are dropped")
    }

    func testSearchStopsFiveParentsUp() throws {
        let install = try temporaryDirectory(["themes/x.theme": "", "1/2/3/4/5/6/sluice": "", "1/2/3/4/5/sluice": ""])
        XCTAssertEqual(Theme.defaultSearchPaths(environment: [:], executablePath: install + "/1/2/3/4/5/sluice"),
                       ["./themes", install + "/themes"])
        XCTAssertEqual(Theme.defaultSearchPaths(environment: [:], executablePath: install + "/1/2/3/4/5/6/sluice"),
                       ["./themes"])
    }
}
