import Foundation

/// A problem in a theme file, reported as `file:line: problem` like a compiler would.
public struct ThemeError: Error, CustomStringConvertible, Sendable, Hashable {
    public let file: String
    public let line: Int
    public let problem: String

    public init(file: String, line: Int, problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var description: String { "\(file):\(line): \(problem)" }
}

extension Theme {
    /// Parses theme-file text. `name` becomes the theme's name; `file` is only used in errors.
    /// Stops at the first problem, so the same file always gives the same error.
    public static func parse(_ text: String, name: String, file: String) throws(ThemeError) -> Theme {
        var parser = ThemeParser(file: file)
        try parser.read(text)
        return Theme(name: name, foreground: parser.foreground, background: parser.background, lines: parser.roles)
    }

    /// What a role's line said; anything it left out is inherited or built in.
    struct RoleLine: Sendable, Hashable {
        var foreground: Colour?
        var background: Colour?
        var attributes: Attributes?
    }

    init(name: String, foreground: Colour, background: Colour, lines: [Role: RoleLine]) {
        var paints: [Role: Paint] = [:]
        for role in Role.allCases {
            let line = lines[role] ?? RoleLine()
            paints[role] = Paint(
                foreground: line.foreground ?? foreground,
                background: line.background ?? background,
                attributes: line.attributes ?? role.builtInAttributes(hasOwnBackground: line.background != nil))
        }
        self.init(name: name, base: Paint(foreground: foreground, background: background), paints: paints)
    }
}

struct ThemeParser {
    static let baseKeys = ["foreground", "background"]
    static let keys = baseKeys + Role.allCases.map(\.rawValue)
    static let colourHelp = "use 0–255, #rrggbb or default"
    static let valueShape = "COLOUR [on COLOUR] [bold] [underline] [reverse] [dim]"

    let file: String
    var foreground: Colour = .terminalDefault
    var background: Colour = .terminalDefault
    var roles: [Role: Theme.RoleLine] = [:]
    private var lineOfKey: [String: Int] = [:]
    private var lineNumber = 0

    init(file: String) { self.file = file }

    mutating func read(_ text: String) throws(ThemeError) {
        for (offset, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            lineNumber = offset + 1
            var line = rawLine
            if offset == 0, line.first == "\u{FEFF}" { line = line.dropFirst() }
            try readLine(line.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private func fail(_ problem: String) -> ThemeError {
        ThemeError(file: file, line: lineNumber, problem: problem)
    }

    /// Keys never start with `#`, so any line that does is a comment, including `#title = …`
    /// written to switch a line off.
    private mutating func readLine(_ line: String) throws(ThemeError) {
        if line.isEmpty || line.hasPrefix("#") { return }
        guard let equals = line.firstIndex(of: "=") else { throw fail("expected key = value") }
        let key = line[..<equals].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw fail("expected key = value") }
        guard Self.keys.contains(key) else { throw fail(Self.unknownKeyProblem(key)) }
        if let firstLine = lineOfKey[key] {
            throw fail("duplicate key \"\(key)\"; it was already set on line \(firstLine)")
        }
        lineOfKey[key] = lineNumber
        let words = Self.words(line[line.index(after: equals)...])
        guard !words.isEmpty else {
            let shape = Self.baseKeys.contains(key) ? "COLOUR" : Self.valueShape
            throw fail("missing value for \"\(key)\"; expected \(shape)")
        }
        switch key {
        case "foreground":
            foreground = try singleColour(words, key: key)
        case "background":
            background = try singleColour(words, key: key)
        default:
            guard let role = Role(rawValue: key) else { throw fail(Self.unknownKeyProblem(key)) }
            roles[role] = try roleLine(words)
        }
    }

    /// The value's words, up to a `#` standing alone, which starts a trailing comment.
    static func words(_ value: Substring) -> [Substring] {
        Array(value.split(whereSeparator: { $0 == " " || $0 == "\t" }).prefix(while: { $0 != "#" }))
    }

    private func singleColour(_ words: [Substring], key: String) throws(ThemeError) -> Colour {
        guard words.count == 1 else {
            throw fail("\"\(key)\" takes a single colour, not \"\(words.joined(separator: " "))\"")
        }
        return try colour(words[0])
    }

    private func colour(_ word: Substring) throws(ThemeError) -> Colour {
        guard let colour = Self.parseColour(word) else {
            throw fail("\"\(word)\" is not a colour; \(Self.colourHelp)")
        }
        return colour
    }

    /// `COLOUR [on COLOUR] [attribute…]`; each part is optional, but they come in that order.
    private func roleLine(_ words: [Substring]) throws(ThemeError) -> Theme.RoleLine {
        var line = Theme.RoleLine()
        var position = 0
        if let first = words.first, !Self.isKeyword(first) {
            if !Self.looksLikeColour(first), Self.closest(to: String(first), among: Self.attributeNames) != nil {
                throw fail(Self.unknownAttributeProblem(first))
            }
            line.foreground = try colour(first)
            position = 1
        }
        if position < words.count, words[position].lowercased() == "on" {
            guard position + 1 < words.count else { throw fail("\"on\" must be followed by a background colour") }
            line.background = try colour(words[position + 1])
            position += 2
        }
        var attributes: Attributes = []
        var plain = false
        for word in words[position...] {
            if word.lowercased() == "plain" {
                plain = true
            } else if let attribute = Self.attribute(named: word) {
                attributes.insert(attribute)
            } else if word.lowercased() == "on" {
                throw fail("\"on\" must come right after the foreground colour; write \(Self.valueShape)")
            } else if Self.looksLikeColour(word) {
                throw fail(Self.parseColour(word) == nil
                    ? "\"\(word)\" is not a colour; \(Self.colourHelp)"
                    : "colour \"\(word)\" is out of place; write \(Self.valueShape)")
            } else {
                throw fail(Self.unknownAttributeProblem(word))
            }
        }
        if plain, !attributes.isEmpty {
            throw fail("\"plain\" means no attributes, so it cannot be combined with \(attributes.names.joined(separator: ", "))")
        }
        if plain || !attributes.isEmpty { line.attributes = attributes }
        return line
    }

    static let attributeNames = Attributes.named.map(\.name) + ["plain"]

    static func isKeyword(_ word: Substring) -> Bool {
        let lowered = word.lowercased()
        return lowered == "on" || attributeNames.contains(lowered)
    }

    static func attribute(named word: Substring) -> Attributes? {
        let name = word.lowercased()
        return Attributes.named.first { $0.name == name }?.attribute
    }

    static func looksLikeColour(_ word: Substring) -> Bool {
        word.hasPrefix("#") || word.lowercased() == "default" || word.allSatisfy(\.isASCII) && word.allSatisfy(\.isNumber)
    }

    static func parseColour(_ word: Substring) -> Colour? {
        if word.lowercased() == "default" { return .terminalDefault }
        if word.hasPrefix("#") {
            let digits = word.dropFirst()
            guard digits.allSatisfy({ $0.isASCII && $0.isHexDigit }), digits.count == 3 || digits.count == 6 else { return nil }
            let nibbles = digits.compactMap(\.hexDigitValue).map(UInt8.init)
            guard nibbles.count == digits.count else { return nil }
            if nibbles.count == 3 {
                return .rgb(nibbles[0] * 17, nibbles[1] * 17, nibbles[2] * 17)
            }
            return .rgb(nibbles[0] << 4 | nibbles[1], nibbles[2] << 4 | nibbles[3], nibbles[4] << 4 | nibbles[5])
        }
        guard word.count <= 3, word.allSatisfy({ $0.isASCII && $0.isNumber }), let index = UInt8(word) else { return nil }
        return .index(index)
    }

    static func unknownKeyProblem(_ key: String) -> String {
        if let suggestion = closest(to: key, among: keys) {
            return "unknown key \"\(key)\"; did you mean \"\(suggestion)\"?"
        }
        return "unknown key \"\(key)\"; the keys are \(keys.joined(separator: ", "))"
    }

    static func unknownAttributeProblem(_ word: Substring) -> String {
        if let suggestion = closest(to: String(word), among: attributeNames) {
            return "unknown attribute \"\(word)\"; did you mean \"\(suggestion)\"?"
        }
        return "unknown attribute \"\(word)\"; use \(attributeNames.dropLast().joined(separator: ", ")) or plain"
    }

    /// The candidate within two edits (a swap of neighbours counts as one), first one on a tie.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = min(2, max(1, word.count / 3))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(word.lowercased(), candidate)
            if distance <= limit, distance < (best?.distance ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs), b = Array(rhs)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var distance = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    distance = min(distance, table[i - 2][j - 2] + 1)
                }
                table[i][j] = distance
            }
        }
        return table[a.count][b.count]
    }
}
