import SluiceSpec

extension SettingsFile {
    /// An exported file shows secrets masked (`••••1a0e`). Importing it back must not replace
    /// the real credentials with their masks: where a secret field holds exactly the mask of
    /// the secret already configured, the configured secret is kept.
    public static func restoringMaskedSecrets(in json: JSON, from current: SettingsFile) -> JSON {
        guard case .object(var root) = json else { return json }
        for id in DestinationID.allCases {
            guard case .object(var object)? = root[id.rawValue], let existing = current.settings(for: id) else { continue }
            let plain = existing.json(revealSecrets: true)
            for field in fields(for: id) where field.kind == .secret {
                guard case .string(let given)? = object[field.key], given.hasPrefix("••••"),
                      case .string(let secret)? = plain[field.key], Secret(secret).masked == given else { continue }
                object[field.key] = .string(secret)
            }
            root[id.rawValue] = .object(object)
        }
        return .object(root)
    }
}
