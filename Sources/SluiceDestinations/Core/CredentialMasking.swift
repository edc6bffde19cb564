import SluiceSpec

/// Credentials an API hands back (an OAuth `access_token`, a session cookie) are not among a
/// request's configured secrets, so they are found by name and masked before anything is
/// recorded or shown.
public enum CredentialMasking {
    /// Whether a JSON key or header name names a credential.
    public static func isCredentialName(_ name: String) -> Bool {
        // Byte compares, folded as ASCII: this runs on every recorded header and JSON key, and
        // `lowercased()` plus Foundation's `contains` cost an allocation and three searches.
        containedNames.contains { SecretMasker.containsIgnoringASCIICase($0, in: name) }
            || exactNames.contains { $0.utf8.count == name.utf8.count && SecretMasker.containsIgnoringASCIICase($0, in: name) }
    }

    private static let containedNames = ["token", "secret", "password"]
    private static let exactNames = ["api_key", "apikey", "authorization", "set-cookie", "cookie"]

    /// Every credential name `isCredentialName` knows contains one of these (ignoring case): a
    /// byte scan for them decides whether a body is worth parsing.
    static let credentialHints = containedNames + exactNames

    /// The body with every string value under a credential-named key masked; text that is not
    /// JSON, or names no credential, comes back unchanged.
    public static func maskBody(_ text: String) -> String {
        // Cheap test first: most bodies name no credential and are never parsed.
        guard credentialHints.contains(where: { SecretMasker.containsIgnoringASCIICase($0, in: text) }),
              let json = try? JSONParser.parse(text)
        else { return text }
        let masked = mask(json)
        return masked == json ? text : JSONWriter.string(masked)
    }

    public static func mask(_ json: JSON) -> JSON {
        switch json {
        case .array(let items): return .array(items.map(mask))
        case .object(let object):
            return .object(JSONObject(object.entries.map { entry in
                if isCredentialName(entry.key), case .string(let value) = entry.value { return (key: entry.key, value: .string(Secret(value).masked)) }
                return (key: entry.key, value: mask(entry.value))
            }))
        default: return json
        }
    }

    public static func maskHeaders(_ headers: [(String, String)]) -> [(String, String)] {
        headers.map { isCredentialName($0.0) && !$0.1.contains("••••") ? ($0.0, Secret($0.1).masked) : $0 }
    }
}
