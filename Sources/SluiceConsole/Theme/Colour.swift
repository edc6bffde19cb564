/// A colour as a theme file names it. The terminal may show fewer colours than a theme asks
/// for; `Theme.resolve(_:depth:)` reduces it to what the terminal has.
public enum Colour: Sendable, Hashable {
    /// The terminal's own foreground or background, whatever the user configured.
    case terminalDefault
    /// One of the 256 xterm colours: 0–15 are the terminal's palette, 16–231 the 6×6×6 cube,
    /// 232–255 the grey ramp.
    case index(UInt8)
    case rgb(UInt8, UInt8, UInt8)
}

extension Colour: CustomStringConvertible {
    /// The colour in theme-file syntax, so a parsed colour prints back as something that parses.
    public var description: String {
        switch self {
        case .terminalDefault:
            return "default"
        case .index(let index):
            return String(index)
        case .rgb(let red, let green, let blue):
            return "#" + [red, green, blue].map(Self.twoHexDigits).joined()
        }
    }

    private static func twoHexDigits(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return value < 16 ? "0" + digits : digits
    }
}

public struct Attributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = Attributes(rawValue: 1 << 0)
    public static let underline = Attributes(rawValue: 1 << 1)
    public static let reverse = Attributes(rawValue: 1 << 2)
    public static let dim = Attributes(rawValue: 1 << 3)

    /// Theme-file names in the order they are written back out.
    static let named: [(name: String, attribute: Attributes)] = [
        ("bold", .bold), ("underline", .underline), ("reverse", .reverse), ("dim", .dim),
    ]

    var names: [String] { Self.named.filter { contains($0.attribute) }.map(\.name) }
}

/// How one role looks: colours as the theme file gave them, before any reduction.
public struct Paint: Sendable, Hashable {
    public var foreground: Colour
    public var background: Colour
    public var attributes: Attributes

    public init(foreground: Colour = .terminalDefault, background: Colour = .terminalDefault, attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }
}

extension Paint: CustomStringConvertible {
    /// The paint as a theme-file value, e.g. `#88c0d0 on #2e3440 bold`.
    public var description: String {
        var words = [foreground.description, "on", background.description]
        words += attributes.isEmpty ? ["plain"] : attributes.names
        return words.joined(separator: " ")
    }
}

/// How many colours the terminal can show.
public enum ColourDepth: Sendable, Hashable, CaseIterable {
    case monochrome, ansi8, ansi256

    /// The depth to draw with. NO_COLOR (set to anything non-empty, per no-color.org) and
    /// `--no-color` win over what the terminal can do, so users can always get monochrome.
    public static func forTerminal(colourCount: Int, environment: [String: String], noColourFlag: Bool = false) -> ColourDepth {
        if noColourFlag { return .monochrome }
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return .monochrome }
        if colourCount >= 256 { return .ansi256 }
        if colourCount >= 8 { return .ansi8 }
        return .monochrome
    }
}

/// A role's paint reduced for one terminal: colour numbers ready for `init_pair`.
public struct ResolvedPaint: Sendable, Hashable {
    /// A colour index the terminal has, or -1 for the terminal's default colour.
    public let foreground: Int16
    public let background: Int16
    public let attributes: Attributes

    public init(foreground: Int16, background: Int16, attributes: Attributes) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }
}
