import SluiceSpec

/// The one settings file: a JSON object keyed by destination (`helpscout`, `zendesk`,
/// `clientsuccess`, `intercom`), each holding that destination's settings object. A destination
/// absent from the file is not configured. See docs/settings.md.
public struct SettingsFile: Sendable, Hashable, CustomStringConvertible {
    public var helpscout: HelpScoutSettings?
    public var zendesk: ZendeskSettings?
    public var clientsuccess: ClientSuccessSettings?
    public var intercom: IntercomSettings?

    public init(helpscout: HelpScoutSettings? = nil, zendesk: ZendeskSettings? = nil,
                clientsuccess: ClientSuccessSettings? = nil, intercom: IntercomSettings? = nil) {
        self.helpscout = helpscout
        self.zendesk = zendesk
        self.clientsuccess = clientsuccess
        self.intercom = intercom
    }

    /// Parses a whole file, collecting every problem of every destination. Issue fields are
    /// paths such as `zendesk.subdomain`, so one list names both the destination and the field.
    public init(json: JSON) throws(SettingsError) {
        guard case .object(let root) = json else {
            throw SettingsError(nil, [SettingsIssue("", "the settings file must be a JSON object keyed by destination (\(Self.destinationKeys.joined(separator: ", "))), not \(json.typeName)")])
        }
        var file = SettingsFile()
        var issues: [SettingsIssue] = []
        for entry in root {
            guard let id = DestinationID(rawValue: entry.key) else {
                issues.append(SettingsIssue(entry.key, Self.unknownDestinationMessage(entry.key)))
                continue
            }
            if entry.value.isNull { continue }
            guard case .object(let object) = entry.value else {
                issues.append(SettingsIssue(id.rawValue, "must be an object of \(id.displayName) settings, not \(entry.value.typeName)"))
                continue
            }
            do throws(SettingsError) {
                try file.update(id, json: object)
            } catch {
                issues += error.issues
            }
        }
        guard issues.isEmpty else { throw SettingsError(nil, issues) }
        self = file
    }

    /// Parses the file's text; a JSON syntax error becomes a settings issue too.
    public init(text: String) throws(SettingsError) {
        let json: JSON
        do {
            json = try JSONParser.parse(text)
        } catch {
            throw SettingsError(nil, [SettingsIssue("", "the settings file is not valid JSON: \(error)")])
        }
        try self.init(json: json)
    }

    /// The file's JSON, destinations in their usual order. Secrets are masked unless
    /// `revealSecrets`; a masked file documents settings but cannot be loaded back.
    public func json(revealSecrets: Bool) -> JSON {
        var root = JSONObject()
        for id in DestinationID.allCases {
            if let settings = settings(for: id) { root.appendUnique(id.rawValue, .object(settings.json(revealSecrets: revealSecrets))) }
        }
        return .object(root)
    }

    /// The file as an operator would save it: pretty JSON with a final newline.
    public func text(revealSecrets: Bool) -> String {
        JSONWriter.pretty(json(revealSecrets: revealSecrets)) + "\n"
    }

    /// What parsing corrected on its own, with fields as `destination.field` paths.
    public var notices: [SettingsIssue] {
        DestinationID.allCases.flatMap { id in
            (settings(for: id)?.notices ?? []).map { Self.prefixed($0, id) }
        }
    }

    public var description: String {
        let parts = DestinationID.allCases.compactMap { id in settings(for: id).map { "\(id.rawValue): \(String(describing: $0))" } }
        return "SettingsFile(\(parts.joined(separator: "; ")))"
    }

    // MARK: - Per destination

    public func settings(for id: DestinationID) -> (any DestinationSettings)? {
        switch id {
        case .helpscout: return helpscout
        case .zendesk: return zendesk
        case .clientsuccess: return clientsuccess
        case .intercom: return intercom
        }
    }

    public func isConfigured(_ id: DestinationID) -> Bool { settings(for: id) != nil }

    /// Stores `settings` under its own destination, replacing what was there.
    public mutating func set(_ settings: some DestinationSettings) {
        switch type(of: settings).destination {
        case .helpscout: helpscout = settings as? HelpScoutSettings
        case .zendesk: zendesk = settings as? ZendeskSettings
        case .clientsuccess: clientsuccess = settings as? ClientSuccessSettings
        case .intercom: intercom = settings as? IntercomSettings
        }
    }

    public mutating func remove(_ id: DestinationID) {
        switch id {
        case .helpscout: helpscout = nil
        case .zendesk: zendesk = nil
        case .clientsuccess: clientsuccess = nil
        case .intercom: intercom = nil
        }
    }

    /// Replaces one destination's settings with those parsed from `json` (what the console's
    /// form or `sluice settings set` submits). Issue fields are `destination.field` paths.
    public mutating func update(_ id: DestinationID, json: JSONObject) throws(SettingsError) {
        switch id {
        case .helpscout: helpscout = try Self.parse(HelpScoutSettings.self, json)
        case .zendesk: zendesk = try Self.parse(ZendeskSettings.self, json)
        case .clientsuccess: clientsuccess = try Self.parse(ClientSuccessSettings.self, json)
        case .intercom: intercom = try Self.parse(IntercomSettings.self, json)
        }
    }

    /// The destination's settings from the file, else its defaults (disabled, no credentials);
    /// nil only if the destination's type cannot build defaults from an empty object.
    public func settingsOrDefaults(for id: DestinationID) -> (any DestinationSettings)? {
        if let configured = settings(for: id) { return configured }
        switch id {
        case .helpscout: return try? HelpScoutSettings(json: [:])
        case .zendesk: return try? ZendeskSettings(json: [:])
        case .clientsuccess: return try? ClientSuccessSettings(json: [:])
        case .intercom: return try? IntercomSettings(json: [:])
        }
    }

    // MARK: - Fields and inline validation, for the console form and the CLI

    public static func fields(for id: DestinationID) -> [SettingField] {
        switch id {
        case .helpscout: return HelpScoutSettings.fields
        case .zendesk: return ZendeskSettings.fields
        case .clientsuccess: return ClientSuccessSettings.fields
        case .intercom: return IntercomSettings.fields
        }
    }

    /// Issues (errors and notices) with one field's value, for showing inline while it is typed.
    public static func validate(_ id: DestinationID, field: String, value: JSON) -> [SettingsIssue] {
        if !knownFieldKeys(for: id).contains(topLevelKey(field)) {
            return [SettingsIssue(field, unknownFieldMessage(field, in: id, known: knownFieldKeys(for: id)))]
        }
        switch id {
        case .helpscout: return HelpScoutSettings.validate(field: field, value: value)
        case .zendesk: return ZendeskSettings.validate(field: field, value: value)
        case .clientsuccess: return ClientSuccessSettings.validate(field: field, value: value)
        case .intercom: return IntercomSettings.validate(field: field, value: value)
        }
    }

    /// Every issue with a whole draft of one destination's settings (empty when it would save),
    /// including rules that span fields, such as credentials required once enabled.
    public static func validate(_ id: DestinationID, draft: JSONObject) -> [SettingsIssue] {
        var file = SettingsFile()
        do throws(SettingsError) {
            try file.update(id, json: draft)
            return []
        } catch {
            return error.issues.map { unprefixed($0, id) }
        }
    }

    // MARK: - Parsing helpers

    static let destinationKeys = DestinationID.allCases.map(\.rawValue)

    /// Rejects unknown keys here, with a suggestion, so every destination reports them the same
    /// way; the destination's own parser then sees only keys it knows.
    private static func parse<S: DestinationSettings>(_ type: S.Type, _ json: JSONObject) throws(SettingsError) -> S {
        let id = S.destination
        let known = knownFieldKeys(for: id)
        var unknown: [SettingsIssue] = []
        var kept = JSONObject()
        for entry in json {
            if known.contains(entry.key) {
                kept.appendUnique(entry.key, entry.value)
            } else {
                unknown.append(prefixed(SettingsIssue(entry.key, unknownFieldMessage(entry.key, in: id, known: known)), id))
            }
        }
        var issues = unknown
        var parsed: S?
        do throws(SettingsError) {
            parsed = try S(json: kept)
        } catch {
            issues += error.issues.map { prefixed($0, id) }
        }
        guard issues.isEmpty, let parsed else { throw SettingsError(nil, issues) }
        return parsed
    }

    /// The keys a destination's settings object may hold: its form fields' first path
    /// components (`rateLimits.perMinute` → `rateLimits`) plus the shared ones.
    static func knownFieldKeys(for id: DestinationID) -> [String] {
        var keys: [String] = []
        for field in fields(for: id) {
            let key = topLevelKey(field.key)
            if !keys.contains(key) { keys.append(key) }
        }
        for key in [CommonSettings.enabledKey, CommonSettings.baseURLKey, CommonSettings.rateLimitsKey] where !keys.contains(key) {
            keys.append(key)
        }
        return keys
    }

    private static func topLevelKey(_ field: String) -> String {
        field.firstIndex(of: ".").map { String(field[..<$0]) } ?? field
    }

    static func prefixed(_ issue: SettingsIssue, _ id: DestinationID) -> SettingsIssue {
        let field = issue.field.isEmpty ? id.rawValue : id.rawValue + "." + issue.field
        return SettingsIssue(field, issue.message, severity: issue.severity)
    }

    private static func unprefixed(_ issue: SettingsIssue, _ id: DestinationID) -> SettingsIssue {
        let prefix = id.rawValue + "."
        guard issue.field.hasPrefix(prefix) else { return issue }
        return SettingsIssue(String(issue.field.dropFirst(prefix.count)), issue.message, severity: issue.severity)
    }

    /// "unknown field 'apikey' in intercom; did you mean 'apiKey'?"
    public static func unknownFieldMessage(_ key: String, in id: DestinationID, known: [String]) -> String {
        if let suggestion = SettingsSpelling.closest(to: key, among: known) {
            return "unknown field '\(key)' in \(id.rawValue); did you mean '\(suggestion)'?"
        }
        return "unknown field '\(key)' in \(id.rawValue); \(id.displayName) has: \(known.joined(separator: ", "))"
    }

    static func unknownDestinationMessage(_ key: String) -> String {
        let suggestion = DestinationID(name: key)?.rawValue ?? SettingsSpelling.closest(to: key, among: destinationKeys)
        if let suggestion { return "unknown destination '\(key)'; did you mean '\(suggestion)'?" }
        return "unknown destination '\(key)'; the file may hold \(destinationKeys.joined(separator: ", "))"
    }
}

/// Suggests the name an operator probably meant.
enum SettingsSpelling {
    /// The candidate equal to `name` ignoring case, `_`, `-` and spaces, else the nearest one
    /// within a few edits (more for longer names); nil when nothing is close.
    static func closest(to name: String, among candidates: [String]) -> String? {
        let folded = fold(name)
        if let exact = candidates.first(where: { fold($0) == folded }) { return exact }
        let allowed = max(1, min(3, folded.count / 3))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(Array(folded), Array(fold(candidate)))
            if distance <= allowed, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.candidate
    }

    private static func fold(_ text: String) -> String {
        String(text.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " })
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Readers for the destination-specific fields, shared by Help Scout and Zendesk. Each returns
/// the value to use plus the issues found, so `init(json:)` and `validate(field:value:)` agree.
enum SettingsValues {
    typealias Parsed<Value> = (value: Value, issues: [SettingsIssue], notices: [SettingsIssue])

    /// Trimmed text; nil for null or blank.
    static func text(_ value: JSON, _ field: String, label: String) -> Parsed<String?> {
        guard case .string(let raw) = value else {
            if value.isNull { return (nil, [], []) }
            return (nil, [SettingsIssue(field, "\(label) must be text, not \(value.typeName)")], [])
        }
        let text = CommonSettings.Values.trimmed(raw)
        return (text.isEmpty ? nil : text, [], [])
    }

    /// A credential: trimmed (saying so, since a form never shows it), and refused when it is
    /// the masked form an export writes, which would otherwise be saved as the secret itself.
    static func secret(_ value: JSON, _ field: String, label: String) -> Parsed<Secret?> {
        guard case .string(let raw) = value else {
            if value.isNull { return (nil, [], []) }
            return (nil, [SettingsIssue(field, "\(label) must be text, not \(value.typeName)")], [])
        }
        let text = CommonSettings.Values.trimmed(raw)
        if text.isEmpty { return (nil, [], []) }
        let notices = text.count == raw.count ? [] : [SettingsIssue(field, "removed spaces or line breaks around the pasted \(label)", severity: .notice)]
        if text.hasPrefix("••••") {
            return (nil, [SettingsIssue(field, "\(label) holds a masked value from an export (\(text)); paste the real \(label)")], notices)
        }
        return (Secret(text), [], notices)
    }

    static func bool(_ value: JSON, _ field: String, label: String, default defaultValue: Bool = false) -> Parsed<Bool> {
        switch value {
        case .null: return (defaultValue, [], [])
        case .bool(let flag): return (flag, [], [])
        default: return (defaultValue, [SettingsIssue(field, "\(label) must be true or false, not \(value.typeName)")], [])
        }
    }
}

/// A plain syntactic check for addresses as SDKs send them: one `@`, a non-empty local part,
/// a dotted domain, no spaces, controls or quoting. It runs on every identify, so it scans
/// UTF-8 bytes once instead of using a regex or Character properties.
enum EmailAddress {
    static func isValid(_ text: String) -> Bool {
        var at = -1, lastDot = -1, index = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "@"):
                if at >= 0 { return false }
                at = index
            case UInt8(ascii: "."):
                if at >= 0 { lastDot = index }
            case 0...0x20, 0x7F, UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","),
                 UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["),
                 UInt8(ascii: "]"), UInt8(ascii: "\\"):
                return false
            default:
                break
            }
            index += 1
        }
        // Local part non-empty, and the domain has a dot neither first nor last.
        return at > 0 && lastDot > at + 1 && lastDot < index - 1
    }
}

/// Trimming for values read on every call: most have no surrounding whitespace, and checking
/// the two end bytes avoids walking Characters.
enum FastText {
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        if let first = utf8.first, let last = utf8.last, isPrintableASCII(first), isPrintableASCII(last) { return text }
        return CommonSettings.Values.trimmed(text)
    }

    private static func isPrintableASCII(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }
}
