/// A credential. It prints masked everywhere (`description`, string interpolation, dumps);
/// only `reveal()` gives the plain value, so every place that exposes a secret is greppable.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    public func reveal() -> String { value }

    public var isEmpty: Bool { value.isEmpty }
    public var count: Int { value.count }

    /// `••••1a0e`: the last four characters of a long secret, nothing of a short one.
    public var masked: String {
        if value.isEmpty { return "" }
        return value.count >= 12 ? "••••" + value.suffix(4) : "••••"
    }

    public var description: String { masked }
    public var debugDescription: String { "Secret(\(masked))" }
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked]) }
}
