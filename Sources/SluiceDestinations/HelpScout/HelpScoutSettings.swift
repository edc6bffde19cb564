import SluiceSpec

/// Help Scout's settings: the doc's API Key, or an OAuth app (App ID + App Secret) for the
/// client-credentials flow of Inbox API 2.0, plus the shared settings.
public struct HelpScoutSettings: DestinationSettings, CustomStringConvertible {
    public static let destination = DestinationID.helpscout

    public enum Key {
        public static let apiKey = "apiKey"
        public static let appId = "appId"
        public static let appSecret = "appSecret"
    }

    /// How requests authenticate.
    public enum Credentials: Sendable, Hashable {
        case apiKey(Secret)
        case oauthApp(appId: String, appSecret: Secret)
        /// Only possible while the destination is disabled (or in a preview of defaults).
        case none
    }

    public var common: CommonSettings
    public var apiKey: Secret?
    public var appId: String?
    public var appSecret: Secret?
    public private(set) var notices: [SettingsIssue] = []

    public init(apiKey: Secret? = nil, appId: String? = nil, appSecret: Secret? = nil, common: CommonSettings = CommonSettings()) {
        self.apiKey = apiKey
        self.appId = appId
        self.appSecret = appSecret
        self.common = common
    }

    public var credentials: Credentials {
        if let apiKey { return .apiKey(apiKey) }
        if let appId, let appSecret { return .oauthApp(appId: appId, appSecret: appSecret) }
        return .none
    }

    public var secrets: [Secret] { [apiKey, appSecret].compactMap { $0 } }

    /// Scheme and host that `/v2/...` paths are appended to.
    public var apiBaseURL: String { common.baseURL(default: HelpScout.defaultBaseURL) }

    /// The documented windows, lowered where the operator asked.
    public var rateLimits: [RateLimitWindow] { common.effectiveRateLimits(documented: HelpScout.documentedRateLimits) }

    public static var fields: [SettingField] {
        [
            SettingField(Key.apiKey, "API Key", .secret,
                         help: "40 characters, e.g. 19a568052a40916806975825946d1a0e39c721d6 (Help Scout: user icon > Your Profile > API Keys). Leave empty when using an OAuth app."),
            SettingField(Key.appId, "App ID (OAuth)", .text,
                         help: "Instead of an API key: the App ID of an OAuth app (Your Profile > My Apps); Sluice uses the client-credentials flow."),
            SettingField(Key.appSecret, "App Secret (OAuth)", .secret,
                         help: "The App Secret belonging to the App ID."),
        ] + CommonSettings.fields(defaultBaseURL: HelpScout.defaultBaseURL, documentedLimits: HelpScout.documentedRateLimits)
    }

    /// Issues (errors and notices) with one field's value, for showing inline while it is
    /// typed. Rules spanning fields (one kind of credential, required once enabled) are
    /// `init(json:)`'s.
    public static func validate(field: String, value: JSON) -> [SettingsIssue] {
        switch field {
        case Key.apiKey:
            let parsed = parseAPIKey(value)
            return parsed.issues + parsed.notices
        case Key.appId:
            return parseAppId(value).issues
        case Key.appSecret:
            let parsed = SettingsValues.secret(value, Key.appSecret, label: "App Secret")
            return parsed.issues + parsed.notices
        case CommonSettings.baseURLKey:
            let parsed = parseCommon([CommonSettings.baseURLKey: value])
            return parsed.issues + parsed.notices
        default:
            if let issues = CommonSettings.validate(field: field, value: value, destination: destination,
                                                    documentedLimits: HelpScout.documentedRateLimits) {
                return issues
            }
            return [SettingsIssue(field, SettingsFile.unknownFieldMessage(field, in: destination, known: knownKeys))]
        }
    }

    public init(json: JSONObject) throws(SettingsError) {
        let common = Self.parseCommon(json)
        let apiKey = Self.parseAPIKey(json[Key.apiKey] ?? .null)
        let appId = Self.parseAppId(json[Key.appId] ?? .null)
        let appSecret = SettingsValues.secret(json[Key.appSecret] ?? .null, Key.appSecret, label: "App Secret")

        var issues = json.keys.filter { !Self.knownKeys.contains($0) }.map {
            SettingsIssue($0, SettingsFile.unknownFieldMessage($0, in: Self.destination, known: Self.knownKeys))
        }
        issues += common.issues + apiKey.issues + appId.issues + appSecret.issues
        let hasKey = apiKey.value != nil, hasAppId = appId.value != nil, hasSecret = appSecret.value != nil
        if apiKey.issues.isEmpty, appId.issues.isEmpty, appSecret.issues.isEmpty {
            if hasKey && (hasAppId || hasSecret) {
                issues.append(SettingsIssue(Key.apiKey, "use either an API key or an OAuth app (App ID and App Secret), not both; clear one of them"))
            } else if hasAppId && !hasSecret {
                issues.append(SettingsIssue(Key.appSecret, "is required with an App ID; copy it from the same app in Your Profile > My Apps"))
            } else if hasSecret && !hasAppId {
                issues.append(SettingsIssue(Key.appId, "is required with an App Secret; copy it from the same app in Your Profile > My Apps"))
            } else if !hasKey && !hasAppId && common.value.enabled {
                issues.append(SettingsIssue(Key.apiKey, "Help Scout needs an API key (40 characters) or an OAuth app's App ID and App Secret before it can be enabled"))
            }
        }
        guard issues.isEmpty else { throw SettingsError(Self.destination, issues) }
        self.init(apiKey: apiKey.value, appId: appId.value, appSecret: appSecret.value, common: common.value)
        notices = common.notices + apiKey.notices + appSecret.notices
    }

    public func json(revealSecrets: Bool) -> JSONObject {
        func shown(_ secret: Secret) -> JSON { .string(revealSecrets ? secret.reveal() : secret.masked) }
        var object = JSONObject()
        object.appendUnique(CommonSettings.enabledKey, .bool(common.enabled))
        if let apiKey { object.appendUnique(Key.apiKey, shown(apiKey)) }
        if let appId { object.appendUnique(Key.appId, .string(appId)) }
        if let appSecret { object.appendUnique(Key.appSecret, shown(appSecret)) }
        for entry in common.jsonEntries() where entry.key != CommonSettings.enabledKey {
            object.appendUnique(entry.key, entry.value)
        }
        return object
    }

    public var description: String {
        let auth: String
        switch credentials {
        case .apiKey(let key): auth = "apiKey: \(key.masked)"
        case .oauthApp(let appId, let secret): auth = "appId: \(appId), appSecret: \(secret.masked)"
        case .none: auth = "no credentials"
        }
        let limits = common.rateLimits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "HelpScoutSettings(enabled: \(common.enabled), \(auth), baseURL: \(apiBaseURL), rateLimits: [\(limits.joined(separator: ", "))])"
    }

    /// Equal when they would send the same requests; `notices` only record how the text read.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.common == rhs.common && lhs.apiKey == rhs.apiKey && lhs.appId == rhs.appId && lhs.appSecret == rhs.appSecret
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(common)
        hasher.combine(apiKey)
        hasher.combine(appId)
        hasher.combine(appSecret)
    }

    // MARK: - Field parsers

    static let knownKeys = [Key.apiKey, Key.appId, Key.appSecret, CommonSettings.enabledKey,
                            CommonSettings.baseURLKey, CommonSettings.rateLimitsKey]

    static func parseAPIKey(_ value: JSON) -> SettingsValues.Parsed<Secret?> {
        let parsed = SettingsValues.secret(value, Key.apiKey, label: "API key")
        guard let key = parsed.value?.reveal() else { return parsed }
        // Report the length and kind of problem only; the characters of a near-miss key are still secret.
        if key.contains(where: { $0.isWhitespace }) {
            return (nil, [SettingsIssue(Key.apiKey, "must not contain spaces; copy the key again from Your Profile > API Keys")], parsed.notices)
        }
        if key.count != 40 {
            return (nil, [SettingsIssue(Key.apiKey, "must be 40 characters long, like 19a568052a40916806975825946d1a0e39c721d6; this one has \(key.count)")], parsed.notices)
        }
        if !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            return (nil, [SettingsIssue(Key.apiKey, "must contain only letters and digits, like 19a568052a40916806975825946d1a0e39c721d6")], parsed.notices)
        }
        return parsed
    }

    static func parseAppId(_ value: JSON) -> SettingsValues.Parsed<String?> {
        let parsed = SettingsValues.text(value, Key.appId, label: "App ID")
        guard let appId = parsed.value else { return parsed }
        if !appId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            return (nil, [SettingsIssue(Key.appId, "must contain only letters and digits, as shown under Your Profile > My Apps")], [])
        }
        return parsed
    }

    /// The shared settings, with a pasted `/v2` API path removed from the base URL: paths
    /// already start with `/v2/`.
    static func parseCommon(_ json: JSONObject) -> SettingsValues.Parsed<CommonSettings> {
        var parsed = CommonSettings.parse(json, destination: destination, documentedLimits: HelpScout.documentedRateLimits)
        if let url = parsed.settings.baseURL, url.lowercased().hasSuffix("/v2") {
            let trimmed = String(url.dropLast(3))
            parsed.settings.baseURL = trimmed
            parsed.notices.append(SettingsIssue(CommonSettings.baseURLKey, "removed '/v2' from the end; Sluice adds /v2/… paths itself, so requests go to \(trimmed)/v2/…", severity: .notice))
        }
        return (parsed.settings, parsed.issues, parsed.notices)
    }
}
