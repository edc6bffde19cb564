import SluiceSpec

/// Credentials an API hands back (an OAuth `access_token`, a session cookie) are not among a
/// request's configured secrets, so they are found by name and masked before anything is
/// recorded or shown.
public enum CredentialMasking {
    /// Whether a JSON key or header name names a credential.
    public static func isCredentialName(_ name: String) -> Bool {
        let folded = name.lowercased()
        return folded.contains("token") || folded.contains("secret") || folded.contains("password")
            || folded == "api_key" || folded == "apikey" || folded == "authorization" || folded == "set-cookie" || folded == "cookie"
    }

    /// Every credential name `isCredentialName` knows contains one of these (ignoring case): a
    /// byte scan for them decides whether a body is worth parsing.
    static let credentialHints = ["token", "secret", "password", "api_key", "apikey", "authorization", "cookie"]

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
