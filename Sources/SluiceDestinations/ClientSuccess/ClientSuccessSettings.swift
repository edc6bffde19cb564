import SluiceSpec

/// ClientSuccess's settings: the doc's API Key and Project Id, how long a track or page may wait
/// for its user's group call, and the shared settings.
public struct ClientSuccessSettings: DestinationSettings, CustomStringConvertible {
    public static let destination = DestinationID.clientsuccess
    /// A day: the doc tells operators to look for missing group calls "after 24 hours".
    public static let defaultHoldTimeout: Double = 24 * 3600
    public static let holdTimeoutRange: ClosedRange<Double> = 60...(30 * 24 * 3600)

    public enum Key {
        public static let apiKey = "apiKey"
        public static let projectId = "projectId"
        public static let holdTimeout = "holdTimeout"
    }

    public var common: CommonSettings {
        didSet { collector = Self.collector(common, projectId, apiKey) }
    }
    public var apiKey: Secret {
        didSet { collector = Self.collector(common, projectId, apiKey) }
    }
    /// Also called Source Id in ClientSuccess (Apps & Integrations > Usage).
    public var projectId: String {
        didSet { collector = Self.collector(common, projectId, apiKey) }
    }
    /// The collector's URL parts, built once rather than for every request.
    private(set) var collector: ClientSuccessAPI
    /// Seconds a track or page of a user whose group is unknown is held before the engine
    /// dead-letters it.
    public var holdTimeout: Double
    public private(set) var notices: [SettingsIssue] = []

    public var secrets: [Secret] { [apiKey] }

    public init(apiKey: Secret = Secret(""), projectId: String = "", holdTimeout: Double = ClientSuccessSettings.defaultHoldTimeout,
                common: CommonSettings = CommonSettings()) {
        self.apiKey = apiKey
        self.projectId = projectId
        self.holdTimeout = holdTimeout
        self.common = common
        collector = Self.collector(common, projectId, apiKey)
    }

    private static func collector(_ common: CommonSettings, _ projectId: String, _ apiKey: Secret) -> ClientSuccessAPI {
        ClientSuccessAPI(baseURL: common.baseURL(default: ClientSuccess.defaultBaseURL), projectId: projectId, apiKey: apiKey)
    }

    /// Where the collector's paths are appended.
    public var apiBaseURL: String { common.baseURL(default: ClientSuccess.defaultBaseURL) }

    /// The default window, lowered where the operator asked.
    public var rateLimits: [RateLimitWindow] { common.effectiveRateLimits(documented: ClientSuccess.documentedRateLimits) }

    public static var fields: [SettingField] {
        [
            SettingField(Key.apiKey, "API Key", .secret,
                         help: "In ClientSuccess: top right menu > Apps & Integrations > Usage."),
            SettingField(Key.projectId, "Project Id", .text,
                         help: "Also shown as Source Id, next to the API key under Apps & Integrations > Usage."),
            SettingField(Key.holdTimeout, "Hold for group call", .text,
                         help: "How long a track or page waits for its user's group call before it is dead-lettered: seconds, or e.g. 90m, 24h, 7d. Default 24h."),
        ] + CommonSettings.fields(defaultBaseURL: ClientSuccess.defaultBaseURL, documentedLimits: ClientSuccess.documentedRateLimits)
    }

    static let knownKeys = [Key.apiKey, Key.projectId, Key.holdTimeout, CommonSettings.enabledKey,
                            CommonSettings.baseURLKey, CommonSettings.rateLimitsKey]

    /// Issues (errors and notices) with one field's value, for showing inline while it is
    /// typed. Credentials required once enabled are checked by `init(json:)`.
    public static func validate(field: String, value: JSON) -> [SettingsIssue] {
        if let common = CommonSettings.validate(field: field, value: value, destination: destination,
                                                documentedLimits: ClientSuccess.documentedRateLimits) {
            return common
        }
        switch field {
        case Key.apiKey:
            let parsed = parseAPIKey(value)
            return parsed.issues + parsed.notices
        case Key.projectId: return parseProjectId(value).issues
        case Key.holdTimeout: return parseHoldTimeout(value).issues
        default: return [SettingsIssue(field, SettingsFile.unknownFieldMessage(field, in: destination, known: knownKeys))]
        }
    }

    public init(json: JSONObject) throws(SettingsError) {
        let common = CommonSettings.parse(json, destination: Self.destination, documentedLimits: ClientSuccess.documentedRateLimits)
        let apiKey = Self.parseAPIKey(json[Key.apiKey] ?? .null)
        let projectId = Self.parseProjectId(json[Key.projectId] ?? .null)
        let holdTimeout = Self.parseHoldTimeout(json[Key.holdTimeout] ?? .null)

        var issues = json.keys.filter { !Self.knownKeys.contains($0) }.map {
            SettingsIssue($0, SettingsFile.unknownFieldMessage($0, in: Self.destination, known: Self.knownKeys))
        }
        issues += common.issues + apiKey.issues + projectId.issues + holdTimeout.issues
        if common.settings.enabled {
            if apiKey.issues.isEmpty, apiKey.value.isEmpty {
                issues.append(SettingsIssue(Key.apiKey, "ClientSuccess needs its API key before it can be enabled (Apps & Integrations > Usage)"))
            }
            if projectId.issues.isEmpty, projectId.value.isEmpty {
                issues.append(SettingsIssue(Key.projectId, "ClientSuccess needs its Project Id before it can be enabled (Apps & Integrations > Usage)"))
            }
        }
        guard issues.isEmpty else { throw SettingsError(Self.destination, issues) }
        self.init(apiKey: apiKey.value, projectId: projectId.value, holdTimeout: holdTimeout.value, common: common.settings)
        notices = common.notices + apiKey.notices
    }

    public func json(revealSecrets: Bool) -> JSONObject {
        var object = JSONObject()
        object.appendUnique(CommonSettings.enabledKey, .bool(common.enabled))
        if !apiKey.isEmpty { object.appendUnique(Key.apiKey, .string(revealSecrets ? apiKey.reveal() : apiKey.masked)) }
        if !projectId.isEmpty { object.appendUnique(Key.projectId, .string(projectId)) }
        object.appendUnique(Key.holdTimeout, .int(Int64(holdTimeout)))
        for entry in common.jsonEntries() where entry.key != CommonSettings.enabledKey {
            object.appendUnique(entry.key, entry.value)
        }
        return object
    }

    public var description: String {
        let limits = common.rateLimits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "ClientSuccessSettings(enabled: \(common.enabled), apiKey: \(apiKey.masked), projectId: \(projectId), "
            + "holdTimeout: \(Int64(holdTimeout))s, baseURL: \(apiBaseURL), rateLimits: [\(limits.joined(separator: ", "))])"
    }

    /// Equal when they would behave the same; `notices` only record how the text read.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.common == rhs.common && lhs.apiKey == rhs.apiKey && lhs.projectId == rhs.projectId && lhs.holdTimeout == rhs.holdTimeout
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(common)
        hasher.combine(apiKey)
        hasher.combine(projectId)
        hasher.combine(holdTimeout)
    }

    // MARK: - Field parsers

    static func parseAPIKey(_ value: JSON) -> (value: Secret, issues: [SettingsIssue], notices: [SettingsIssue]) {
        let parsed = SettingsValues.secret(value, Key.apiKey, label: "API key")
        guard let key = parsed.value else { return (Secret(""), parsed.issues, parsed.notices) }
        if key.reveal().contains(where: { $0.isWhitespace || !$0.isASCII }) {
            return (Secret(""), [SettingsIssue(Key.apiKey, "must not contain spaces or non-ASCII characters; copy it again from Apps & Integrations > Usage")], parsed.notices)
        }
        return (key, [], parsed.notices)
    }

    /// The id goes into the URL path, so only characters that need no escaping are accepted.
    static func parseProjectId(_ value: JSON) -> (value: String, issues: [SettingsIssue]) {
        let parsed = SettingsValues.text(value, Key.projectId, label: "Project Id")
        guard let id = parsed.value else { return ("", parsed.issues) }
        guard id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return ("", [SettingsIssue(Key.projectId, "must contain only letters, digits, - and _, as shown under Apps & Integrations > Usage")])
        }
        return (id, [])
    }

    /// Seconds as a number or digits, or a number with a unit: s, m, h or d.
    static func parseHoldTimeout(_ value: JSON) -> (value: Double, issues: [SettingsIssue]) {
        let field = Key.holdTimeout
        let seconds: Double
        switch value {
        case .null:
            return (defaultHoldTimeout, [])
        case .int(let i):
            seconds = Double(i)
        case .double(let d):
            seconds = d
        case .string(let raw):
            let text = CommonSettings.Values.trimmed(raw).lowercased()
            if text.isEmpty { return (defaultHoldTimeout, []) }
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            let unit = text.last.flatMap { units[$0] }
            guard let number = Double(unit == nil ? text : String(text.dropLast())), number.isFinite else {
                return (defaultHoldTimeout, [SettingsIssue(field, "must be seconds or a number with s, m, h or d (e.g. 24h); got \"\(raw)\"")])
            }
            seconds = number * (unit ?? 1)
        default:
            return (defaultHoldTimeout, [SettingsIssue(field, "must be a duration such as 24h or a number of seconds, not \(value.typeName)")])
        }
        guard holdTimeoutRange.contains(seconds) else {
            return (defaultHoldTimeout, [SettingsIssue(field, "must be between 1 minute and 30 days (60 to 2592000 seconds); got \(value.description.prefix(40))")])
        }
        return (seconds.rounded(), [])
    }
}
