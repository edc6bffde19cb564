import Foundation
import SluiceSpec

/// Converts what an operator types for a field (on the command line or in a console form) to
/// the field's JSON value, and back. Validation stays with the destination's own rules.
public enum SettingText {
    public static func parse(_ text: String, as kind: SettingField.Kind) -> JSON {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .bool where trimmed.isEmpty, .integer where trimmed.isEmpty:
            return .null  // cleared: the default applies
        case .bool:
            switch trimmed.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: return .string(trimmed)  // validation names the problem
            }
        case .integer:
            return Int64(trimmed).map(JSON.int) ?? .string(trimmed)
        case .list:
            if trimmed.isEmpty { return .array([]) }
            return .array(trimmed.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        case .map:
            var object = JSONObject()
            for pair in trimmed.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, !parts[0].isEmpty else { return .string(trimmed) }
                object[parts[0]] = Int64(parts[1]).map(JSON.int) ?? .string(parts[1])
            }
            return .object(object)
        case .text, .secret, .choice:
            return trimmed.isEmpty ? .null : .string(trimmed)
        }
    }

    /// The text form of a value, for editing; secrets masked unless revealed.
    public static func format(_ value: JSON?, as kind: SettingField.Kind, reveal: Bool = false) -> String {
        guard let value, !value.isNull else { return "" }
        switch (kind, value) {
        case (.secret, .string(let s)): return reveal || s.hasPrefix("••••") ? s : Secret(s).masked
        case (.list, .array(let items)): return items.compactMap(\.scalarText).joined(separator: ", ")
        case (.map, .object(let object)): return object.entries.map { "\($0.key)=\($0.value.scalarText ?? $0.value.description)" }.joined(separator: ", ")
        default: return value.scalarText ?? value.description
        }
    }
}
