/// What every role looks like, read from a `.theme` file (see themes/README.md).
///
/// Paints are resolved for all three colour depths when the theme is built, so
/// `resolve(_:depth:)` is a table lookup.
public struct Theme: Sendable {
    public let name: String
    /// The `foreground` and `background` the file set, which every role inherits.
    public let base: Paint
    private let paints: [Role: Paint]
    private let resolved: [ColourDepth: [Role: ResolvedPaint]]

    /// A theme from paints built in code. Roles missing from `paints` get `base`.
    public init(name: String, base: Paint = Paint(), paints: [Role: Paint]) {
        self.name = name
        self.base = Paint(foreground: base.foreground, background: base.background)
        var complete: [Role: Paint] = [:]
        for role in Role.allCases {
            complete[role] = paints[role] ?? self.base
        }
        self.paints = complete
        var resolved: [ColourDepth: [Role: ResolvedPaint]] = [:]
        for depth in ColourDepth.allCases {
            var table: [Role: ResolvedPaint] = [:]
            for (role, paint) in complete {
                table[role] = Self.reduce(paint, role: role, depth: depth)
            }
            resolved[depth] = table
        }
        self.resolved = resolved
    }

    public func paint(_ role: Role) -> Paint {
        paints[role] ?? base
    }

    /// The role's paint fitted to a terminal with `depth` colours.
    public func resolve(_ role: Role, depth: ColourDepth) -> ResolvedPaint {
        resolved[depth]?[role] ?? Self.reduce(paint(role), role: role, depth: depth)
    }

    static func reduce(_ paint: Paint, role: Role, depth: ColourDepth) -> ResolvedPaint {
        if depth == .monochrome {
            return ResolvedPaint(foreground: -1, background: -1, attributes: paint.attributes.union(role.monochromeAttributes))
        }
        let background = Palette.reduce(paint.background, depth: depth)
        var foreground = Palette.reduce(paint.foreground, depth: depth)
        if foreground == background, foreground != -1, paint.foreground != paint.background {
            foreground = Palette.reduce(paint.foreground, depth: depth, excluding: background)
        }
        return ResolvedPaint(foreground: Int16(foreground), background: Int16(background), attributes: paint.attributes)
    }
}

extension Theme: Hashable {
    public static func == (lhs: Theme, rhs: Theme) -> Bool {
        lhs.name == rhs.name && lhs.base == rhs.base && lhs.paints == rhs.paints
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(base)
        hasher.combine(paints)
    }
}

extension Theme {
    /// The dark default theme, the same text as themes/default.theme. Used when no theme is
    /// chosen and whenever a chosen one is missing or broken, so it cannot depend on files.
    public static let builtInDefault: Theme = {
        do {
            return try parse(defaultThemeText, name: "default", file: "themes/default.theme")
        } catch {
            // Unreachable while the tests pass; still, a typo there must not stop the console.
            return Theme(name: "default", foreground: .terminalDefault, background: .terminalDefault, lines: [:])
        }
    }()
}

extension Role {
    /// Emphasis added on a monochrome terminal so screens stay readable without colour.
    public var monochromeAttributes: Attributes {
        switch self {
        case .selection, .tabActive: return .reverse
        case .title, .header, .key, .bad, .error, .borderFocus: return .bold
        case .dim, .disabled, .gaugeEmpty: return .dim
        default: return []
        }
    }

    /// Attributes a role gets when its line in the theme file names none (or the role has no
    /// line). A selection without its own background would be invisible, so it reverses.
    func builtInAttributes(hasOwnBackground: Bool) -> Attributes {
        switch self {
        case .title, .header, .key, .tabActive, .error: return .bold
        case .selection: return hasOwnBackground ? [] : .reverse
        default: return []
        }
    }
}
