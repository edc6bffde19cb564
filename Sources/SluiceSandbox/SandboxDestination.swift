/// The four APIs the sandbox simulates. The raw value is the path prefix on the sandbox server
/// (`/intercom/...`) and the name used by the control API and the command line.
public enum SandboxDestination: String, Sendable, CaseIterable, Hashable, CustomStringConvertible {
    case helpscout
    case zendesk
    case intercom
    case clientsuccess

    public var displayName: String {
        switch self {
        case .helpscout: return "Help Scout"
        case .zendesk: return "Zendesk"
        case .intercom: return "Intercom"
        case .clientsuccess: return "ClientSuccess"
        }
    }

    public var pathPrefix: String {
        switch self {
        case .helpscout: return "/helpscout"
        case .zendesk: return "/zendesk"
        case .intercom: return "/intercom"
        case .clientsuccess: return "/clientsuccess"
        }
    }

    public var description: String { rawValue }

    /// Accepts the raw value or the display name, in any case, with or without spaces.
    public init?(name: String) {
        let folded = name.lowercased().filter { $0 != " " && $0 != "-" && $0 != "_" }
        guard let match = Self.allCases.first(where: { $0.rawValue == folded }) else { return nil }
        self = match
    }
}
