import Foundation
import SluiceSpec

/// The four destinations Sluice delivers to. The raw value is the key in settings files and on
/// the command line; `displayName` is the name the `integrations` object uses.
public enum DestinationID: String, Sendable, CaseIterable, Codable, Comparable {
    case helpscout
    case zendesk
    case clientsuccess
    case intercom

    public var displayName: String {
        switch self {
        case .helpscout: return "Help Scout"
        case .zendesk: return "Zendesk"
        case .clientsuccess: return "ClientSuccess"
        case .intercom: return "Intercom"
        }
    }

    /// Accepts the key, the display name, or either without spaces, in any case.
    public init?(name: String) {
        let folded = name.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "-", with: "")
        guard let match = DestinationID.allCases.first(where: { $0.rawValue == folded }) else { return nil }
        self = match
    }

    public static func < (lhs: DestinationID, rhs: DestinationID) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

extension Event {
    /// Whether the call's `integrations` object lets it reach `destination`: an explicit
    /// per-destination boolean wins, else `All` (default true). Keys match case-insensitively.
    public func isAllowed(to destination: DestinationID) -> Bool {
        var all = true
        for entry in integrations {
            let key = entry.key.lowercased()
            if key == "all", let flag = entry.value.boolValue { all = flag }
            if key == destination.displayName.lowercased() || key == destination.rawValue {
                switch entry.value {
                case .bool(let flag): return flag
                case .object: return true  // per-destination options imply enabled
                default: continue
                }
            }
        }
        return all
    }
}
