import SluiceSpec

/// Intercom's settings, as its Segment doc lists them, plus the shared ones.
public struct IntercomSettings: DestinationSettings, CustomStringConvertible {
    public static let destination = DestinationID.intercom
    public static let defaultInboxButtonSelector = "#IntercomDefaultWidget"

    public enum Key {
        public static let inboxButtonSelector = "inboxButtonSelector"
        public static let apiKey = "apiKey"
        public static let appId = "appId"
        public static let nestedHandling = "nestedHandling"
        public static let collectContext = "collectContext"
        public static let defaultNestedHandling = "defaultNestedHandling"
        public static let richLinkProperties = "richLinkProperties"
    }

    public var common: CommonSettings
    /// Required for server-side calls; the doc describes it as 40 characters.
    public var apiKey: Secret {
        didSet { requestHeaders = IntercomRequestHeaders(apiKey: apiKey) }
    }
    /// Built from the key once instead of for every request of every call.
    private(set) var requestHeaders: IntercomRequestHeaders
    /// Used only by the browser snippet; kept so a Segment settings export carries over whole.
    public var appId: String
    /// "Include Context with Identify Calls": device, OS and app facts as custom attributes.
    public var collectContext: Bool
    public var defaultNestedHandling: NestedHandling
    /// Per trait or property path (`address`, `address.geo`), overriding the default.
    public var nestedHandling: [String: NestedHandling]
    /// Properties sent as Intercom Rich Link objects when their value is `{url, value}`.
    public var richLinkProperties: [String]
    /// Used only by the browser snippet.
    public var inboxButtonSelector: String
    public private(set) var notices: [SettingsIssue] = []

    public var secrets: [Secret] { [apiKey] }

    public init(
        apiKey: Secret = Secret(""),
        appId: String = "",
        collectContext: Bool = false,
        defaultNestedHandling: NestedHandling = .flatten,
        nestedHandling: [String: NestedHandling] = [:],
        richLinkProperties: [String] = [],
        inboxButtonSelector: String = IntercomSettings.defaultInboxButtonSelector,
        common: CommonSettings = CommonSettings()
    ) {
        self.apiKey = apiKey
        requestHeaders = IntercomRequestHeaders(apiKey: apiKey)
        self.appId = appId
        self.collectContext = collectContext
        self.defaultNestedHandling = defaultNestedHandling
        self.nestedHandling = nestedHandling
        self.richLinkProperties = richLinkProperties
        self.inboxButtonSelector = inboxButtonSelector
        self.common = common
    }

    private static let handlingChoices = NestedHandling.allCases.map(\.rawValue)

    public static var fields: [SettingField] {
        [
            SettingField(Key.inboxButtonSelector, "Custom Inbox Button Selector", .text,
                         help: "Browser only: CSS selector of your own inbox button. Default \(defaultInboxButtonSelector)."),
            SettingField(Key.apiKey, "API Key", .secret,
                         help: "Required to send from servers; 40 characters, e.g. 4ad6ce80fc1d441324cfb11cdf8d3ade8fc7e8fd."),
            SettingField(Key.appId, "App ID", .text,
                         help: "Browser only; 8 or 40 characters, e.g. 9iefb489."),
            SettingField(Key.nestedHandling, "Specific Nested Trait and Property Handling", .map(choices: handlingChoices),
                         help: "Property path = flatten, stringify or drop, overriding the default for that property."),
            SettingField(Key.collectContext, "Include Context with Identify Calls", .bool,
                         help: "Send device.type, device.manufacturer, device.model, os.name, os.version, app.name and app.version as custom attributes."),
            SettingField(Key.defaultNestedHandling, "Default Nested Trait and Property Handling", .choice(handlingChoices),
                         help: "Intercom accepts no nested values: flatten (address.city), stringify (JSON text) or drop them."),
            SettingField(Key.richLinkProperties, "Rich Link Properties", .list,
                         help: "Event properties whose value is {url, value}; sent as Intercom Rich Links instead of flattened."),
        ] + CommonSettings.fields(defaultBaseURL: Intercom.defaultBaseURL, documentedLimits: Intercom.documentedRateLimits)
    }

    static let knownKeys = [
        Key.inboxButtonSelector, Key.apiKey, Key.appId, Key.nestedHandling, Key.collectContext,
        Key.defaultNestedHandling, Key.richLinkProperties, CommonSettings.enabledKey, CommonSettings.baseURLKey,
        CommonSettings.rateLimitsKey,
    ]

    /// Issues (errors and notices) with one field's value, for showing inline while it is
    /// typed. Rules that span fields (an API key is required once the destination is enabled)
    /// are `init(json:)`'s.
    public static func validate(field: String, value: JSON) -> [SettingsIssue] {
        if let common = CommonSettings.validate(field: field, value: value, destination: destination,
                                                documentedLimits: Intercom.documentedRateLimits) {
            return common
        }
        switch field {
        case Key.apiKey:
            let parsed = parseAPIKey(value)
            return parsed.issues + parsed.notices
        case Key.appId: return parseAppId(value).issues
        case Key.collectContext: return SettingsValues.bool(value, field, label: "Include Context with Identify Calls").issues
        case Key.defaultNestedHandling: return parseHandling(value, field).issues
        case Key.nestedHandling: return parseHandlingMap(value).issues
        case Key.richLinkProperties: return parseList(value, field).issues
        case Key.inboxButtonSelector: return parseSelector(value).issues
        default: return [SettingsIssue(field, SettingsFile.unknownFieldMessage(field, in: destination, known: knownKeys))]
        }
    }

    public init(json: JSONObject) throws(SettingsError) {
        let common = CommonSettings.parse(json, destination: Self.destination, documentedLimits: Intercom.documentedRateLimits)
        let apiKey = Self.parseAPIKey(json[Key.apiKey] ?? .null)
        let appId = Self.parseAppId(json[Key.appId] ?? .null)
        let collectContext = SettingsValues.bool(json[Key.collectContext] ?? .null, Key.collectContext, label: "Include Context with Identify Calls")
        let defaultHandling = Self.parseHandling(json[Key.defaultNestedHandling] ?? .null, Key.defaultNestedHandling)
        let handlingMap = Self.parseHandlingMap(json[Key.nestedHandling] ?? .null)
        let richLinks = Self.parseList(json[Key.richLinkProperties] ?? .null, Key.richLinkProperties)
        let selector = Self.parseSelector(json[Key.inboxButtonSelector] ?? .null)

        var issues = json.keys.filter { !Self.knownKeys.contains($0) }.map {
            SettingsIssue($0, SettingsFile.unknownFieldMessage($0, in: Self.destination, known: Self.knownKeys))
        }
        issues += common.issues + apiKey.issues + appId.issues + collectContext.issues + defaultHandling.issues
        issues += handlingMap.issues + richLinks.issues + selector.issues
        if common.settings.enabled, apiKey.issues.isEmpty, apiKey.value.isEmpty {
            issues.append(SettingsIssue(Key.apiKey, "Intercom needs an API key (40 characters) before it can be enabled; find it under Configure > API Keys"))
        }
        guard issues.isEmpty else { throw SettingsError(Self.destination, issues) }

        self.init(apiKey: apiKey.value, appId: appId.value, collectContext: collectContext.value,
                  defaultNestedHandling: defaultHandling.value, nestedHandling: handlingMap.value,
                  richLinkProperties: richLinks.value, inboxButtonSelector: selector.value, common: common.settings)
        notices = common.notices + apiKey.notices
    }

    public func json(revealSecrets: Bool) -> JSONObject {
        var object = JSONObject()
        object.appendUnique(CommonSettings.enabledKey, .bool(common.enabled))
        object.appendUnique(Key.inboxButtonSelector, .string(inboxButtonSelector))
        if !apiKey.isEmpty { object.appendUnique(Key.apiKey, .string(revealSecrets ? apiKey.reveal() : apiKey.masked)) }
        if !appId.isEmpty { object.appendUnique(Key.appId, .string(appId)) }
        let overrides = nestedHandling.sorted { $0.key < $1.key }
        object.appendUnique(Key.nestedHandling, .object(JSONObject(overrides.map { (key: $0.key, value: .string($0.value.rawValue)) })))
        object.appendUnique(Key.collectContext, .bool(collectContext))
        object.appendUnique(Key.defaultNestedHandling, .string(defaultNestedHandling.rawValue))
        object.appendUnique(Key.richLinkProperties, .array(richLinkProperties.map { .string($0) }))
        for entry in common.jsonEntries() where entry.key != CommonSettings.enabledKey {
            object.appendUnique(entry.key, entry.value)
        }
        return object
    }

    /// Where request paths are appended.
    public var apiBaseURL: String { common.baseURL(default: Intercom.defaultBaseURL) }

    /// The documented window, lowered where the operator asked.
    public var rateLimits: [RateLimitWindow] { common.effectiveRateLimits(documented: Intercom.documentedRateLimits) }

    /// Equal when they would send the same requests; `notices` only record how the text read.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.common == rhs.common && lhs.apiKey == rhs.apiKey && lhs.appId == rhs.appId
            && lhs.collectContext == rhs.collectContext && lhs.defaultNestedHandling == rhs.defaultNestedHandling
            && lhs.nestedHandling == rhs.nestedHandling && lhs.richLinkProperties == rhs.richLinkProperties
            && lhs.inboxButtonSelector == rhs.inboxButtonSelector
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(common)
        hasher.combine(apiKey)
        hasher.combine(appId)
        hasher.combine(collectContext)
        hasher.combine(defaultNestedHandling)
        hasher.combine(nestedHandling)
        hasher.combine(richLinkProperties)
        hasher.combine(inboxButtonSelector)
    }

    public var description: String {
        let overrides = nestedHandling.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }
        return "IntercomSettings(enabled: \(common.enabled), apiKey: \(apiKey.masked), appId: \(appId), "
            + "collectContext: \(collectContext), defaultNestedHandling: \(defaultNestedHandling.rawValue), "
            + "nestedHandling: [\(overrides.joined(separator: ", "))], richLinkProperties: \(richLinkProperties), "
            + "inboxButtonSelector: \(inboxButtonSelector), baseURL: \(apiBaseURL), "
            + "rateLimits: \(common.rateLimits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })"
    }

    // MARK: - Field parsers: each returns the value to use and the problems found.

    static func parseAPIKey(_ value: JSON) -> (value: Secret, issues: [SettingsIssue], notices: [SettingsIssue]) {
        let parsed = SettingsValues.secret(value, Key.apiKey, label: "API key")
        guard let key = parsed.value?.reveal() else { return (Secret(""), parsed.issues, parsed.notices) }
        // Report the length and kind of problem only; the characters of a near-miss key are still secret.
        if key.contains(where: { $0.isWhitespace }) {
            return (Secret(""), [SettingsIssue(Key.apiKey, "must not contain spaces; copy the key again from Configure > API Keys")], parsed.notices)
        }
        if key.count != 40 {
            return (Secret(""), [SettingsIssue(Key.apiKey, "must be 40 characters long, like 4ad6ce80fc1d441324cfb11cdf8d3ade8fc7e8fd; this one has \(key.count)")], parsed.notices)
        }
        if !key.allSatisfy(\.isASCII) {
            return (Secret(""), [SettingsIssue(Key.apiKey, "must contain only letters, digits and ASCII symbols")], parsed.notices)
        }
        return (Secret(key), [], parsed.notices)
    }

    static func parseAppId(_ value: JSON) -> (value: String, issues: [SettingsIssue]) {
        guard case .string(let raw) = value else {
            if value.isNull { return ("", []) }
            return ("", [SettingsIssue(Key.appId, "must be text, not \(value.typeName)")])
        }
        let appId = CommonSettings.Values.trimmed(raw)
        if appId.isEmpty { return ("", []) }
        guard appId.count == 8 || appId.count == 40 else {
            return ("", [SettingsIssue(Key.appId, "must be 8 or 40 characters long, e.g. 9iefb489; \"\(appId)\" has \(appId.count)")])
        }
        guard appId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            return ("", [SettingsIssue(Key.appId, "must contain only letters and digits")])
        }
        return (appId, [])
    }

    static func parseHandling(_ value: JSON, _ field: String) -> (value: NestedHandling, issues: [SettingsIssue]) {
        if value.isNull { return (.flatten, []) }
        if let text = value.stringValue, let handling = NestedHandling(rawValue: CommonSettings.Values.trimmed(text).lowercased()) {
            return (handling, [])
        }
        return (.flatten, [SettingsIssue(field, "must be one of flatten, stringify, drop; got \(value.description.prefix(40))")])
    }

    static func parseHandlingMap(_ value: JSON) -> (value: [String: NestedHandling], issues: [SettingsIssue]) {
        let field = Key.nestedHandling
        var pairs: [(path: String, mode: JSON)] = []
        switch value {
        case .null:
            return ([:], [])
        case .object(let object):
            pairs = object.map { (path: $0.key, mode: $0.value) }
        case .string(let text):
            // The form edits a map as "path=mode" pairs separated by commas or new lines.
            for item in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
                let trimmed = CommonSettings.Values.trimmed(String(item))
                if trimmed.isEmpty { continue }
                guard let equals = trimmed.firstIndex(of: "=") else {
                    return ([:], [SettingsIssue(field, "write each override as path=mode, e.g. address=stringify; got \"\(trimmed)\"")])
                }
                pairs.append((path: String(trimmed[..<equals]), mode: .string(String(trimmed[trimmed.index(after: equals)...]))))
            }
        default:
            return ([:], [SettingsIssue(field, "must map property paths to flatten, stringify or drop, not \(value.typeName)")])
        }
        var map: [String: NestedHandling] = [:]
        var issues: [SettingsIssue] = []
        for pair in pairs {
            let path = CommonSettings.Values.trimmed(pair.path)
            if path.isEmpty {
                issues.append(SettingsIssue(field, "a property path is empty"))
                continue
            }
            let mode = parseHandling(pair.mode, field)
            if mode.issues.isEmpty {
                map[path] = mode.value
            } else {
                issues.append(SettingsIssue(field, "\(path): must be flatten, stringify or drop; got \(pair.mode.description.prefix(40))"))
            }
        }
        return (map, issues)
    }

    static func parseList(_ value: JSON, _ field: String) -> (value: [String], issues: [SettingsIssue]) {
        var names: [String] = []
        switch value {
        case .null:
            return ([], [])
        case .string(let text):
            names = text.split(separator: ",").map { CommonSettings.Values.trimmed(String($0)) }.filter { !$0.isEmpty }
        case .array(let items):
            for item in items {
                guard let name = item.stringValue.map(CommonSettings.Values.trimmed), !name.isEmpty else {
                    return ([], [SettingsIssue(field, "must list property names as text; found \(item.typeName)")])
                }
                names.append(name)
            }
        default:
            return ([], [SettingsIssue(field, "must be a list of property names, not \(value.typeName)")])
        }
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        return (unique, [])
    }

    static func parseSelector(_ value: JSON) -> (value: String, issues: [SettingsIssue]) {
        guard case .string(let raw) = value else {
            if value.isNull { return (defaultInboxButtonSelector, []) }
            return (defaultInboxButtonSelector, [SettingsIssue(Key.inboxButtonSelector, "must be a CSS selector as text, not \(value.typeName)")])
        }
        let selector = CommonSettings.Values.trimmed(raw)
        return (selector.isEmpty ? defaultInboxButtonSelector : selector, [])
    }
}
