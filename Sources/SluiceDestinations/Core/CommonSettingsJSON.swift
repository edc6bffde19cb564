import SluiceSpec

/// The JSON form, form fields and validation of the settings every destination shares, so each
/// destination's settings type only adds its own fields.
extension CommonSettings {
    public static let enabledKey = "enabled"
    public static let baseURLKey = "baseURL"
    public static let rateLimitsKey = "rateLimits"

    /// The form fields for the shared settings: one integer field per documented window, keyed
    /// `rateLimits.<window>`.
    public static func fields(defaultBaseURL: String, documentedLimits: [RateLimitWindow]) -> [SettingField] {
        var fields = [
            SettingField(enabledKey, "Enabled", .bool, help: "Deliver calls to this destination."),
            SettingField(baseURLKey, "API base URL", .text,
                         help: "Leave empty for \(defaultBaseURL); set it to target a sandbox or a test server."),
        ]
        for window in documentedLimits {
            fields.append(SettingField(rateLimitsKey + "." + window.key, "Rate limit: \(window.label)", .integer,
                                       help: "At most \(window.limit) \(window.label). Leave empty for that; you may only lower it."))
        }
        return fields
    }

    /// Issues (errors and notices) with one shared field, or nil when `field` is not a shared
    /// one. `value` is what the form or the settings file holds; `null` means "not set".
    public static func validate(field: String, value: JSON, destination: DestinationID,
                                documentedLimits: [RateLimitWindow]) -> [SettingsIssue]? {
        switch field {
        case enabledKey:
            return parseEnabled(value).issues
        case baseURLKey:
            let parsed = parseBaseURL(value)
            return parsed.issues + parsed.notices
        case rateLimitsKey:
            return parseRateLimits(value, destination: destination, documentedLimits: documentedLimits).issues
        default:
            let prefix = rateLimitsKey + "."
            guard field.hasPrefix(prefix) else { return nil }
            let window = String(field.dropFirst(prefix.count))
            return parseRateLimits(.object([window: value]), destination: destination, documentedLimits: documentedLimits).issues
        }
    }

    /// Reads the shared fields of a settings object. Issues are errors; notices report what was
    /// normalized on the way (a trailing slash removed from the base URL).
    public static func parse(_ object: JSONObject, destination: DestinationID, documentedLimits: [RateLimitWindow])
        -> (settings: CommonSettings, issues: [SettingsIssue], notices: [SettingsIssue])
    {
        let enabled = parseEnabled(object[enabledKey] ?? .null)
        let baseURL = parseBaseURL(object[baseURLKey] ?? .null)
        let limits = parseRateLimits(object[rateLimitsKey] ?? .null, destination: destination, documentedLimits: documentedLimits)
        let settings = CommonSettings(enabled: enabled.value, baseURL: baseURL.value, rateLimits: limits.value)
        return (settings, enabled.issues + baseURL.issues + limits.issues, baseURL.notices)
    }

    /// The settings-file entries for the shared fields, omitting what is at its default.
    public func jsonEntries() -> [(key: String, value: JSON)] {
        var entries: [(key: String, value: JSON)] = [(key: Self.enabledKey, value: .bool(enabled))]
        if let baseURL { entries.append((key: Self.baseURLKey, value: .string(baseURL))) }
        if !rateLimits.isEmpty {
            let sorted = rateLimits.sorted { $0.key < $1.key }
            entries.append((key: Self.rateLimitsKey, value: .object(JSONObject(sorted.map { (key: $0.key, value: .int(Int64($0.value))) }))))
        }
        return entries
    }

    /// The windows in force: each documented window at the operator's lower limit, if any.
    public func effectiveRateLimits(documented: [RateLimitWindow]) -> [RateLimitWindow] {
        documented.map { window in rateLimits[window.key].map { window.withLimit(min($0, window.limit)) } ?? window }
    }

    /// The base URL requests go to: the override, else the API's own.
    public func baseURL(default defaultBaseURL: String) -> String { baseURL ?? defaultBaseURL }

    /// Where a window's ceiling comes from, for error messages. ClientSuccess publishes no
    /// limit, so its ceiling is Sluice's own default rather than a documented figure.
    static func limitOrigin(_ window: RateLimitWindow, _ destination: DestinationID) -> String {
        switch destination {
        case .clientsuccess:
            return "ClientSuccess publishes no rate limit; Sluice caps it at \(window.limit) \(window.label)"
        case .helpscout, .zendesk, .intercom:
            return "\(destination.displayName) documents \(window.limit) \(window.label)"
        }
    }

    // MARK: - Field parsers

    static func parseEnabled(_ value: JSON) -> (value: Bool, issues: [SettingsIssue]) {
        switch value {
        case .null: return (false, [])
        case .bool(let flag): return (flag, [])
        default: return (false, [SettingsIssue(enabledKey, "must be true or false, not \(value.typeName)")])
        }
    }

    static func parseBaseURL(_ value: JSON) -> (value: String?, issues: [SettingsIssue], notices: [SettingsIssue]) {
        guard case .string(let raw) = value else {
            if value.isNull { return (nil, [], []) }
            return (nil, [SettingsIssue(baseURLKey, "must be a URL as text, not \(value.typeName)")], [])
        }
        let text = Values.trimmed(raw)
        if text.isEmpty { return (nil, [], []) }
        if let problem = URLCheck.problem(with: text) { return (nil, [SettingsIssue(baseURLKey, problem)], []) }
        var url = text
        var notices: [SettingsIssue] = []
        while url.hasSuffix("/") { url.removeLast() }
        if url != text {
            notices.append(SettingsIssue(baseURLKey, "removed the trailing slash; paths are appended to \(url)", severity: .notice))
        }
        return (url, [], notices)
    }

    static func parseRateLimits(_ value: JSON, destination: DestinationID, documentedLimits: [RateLimitWindow])
        -> (value: [String: Int], issues: [SettingsIssue])
    {
        guard case .object(let object) = value else {
            if value.isNull { return ([:], []) }
            return ([:], [SettingsIssue(rateLimitsKey, "must be an object of window → requests, not \(value.typeName)")])
        }
        var limits: [String: Int] = [:]
        var issues: [SettingsIssue] = []
        for entry in object {
            let field = rateLimitsKey + "." + entry.key
            guard let window = documentedLimits.first(where: { $0.key == entry.key }) else {
                let known = documentedLimits.map(\.key).joined(separator: ", ")
                issues.append(SettingsIssue(field, "unknown rate-limit window \"\(entry.key)\"; \(destination.displayName) has: \(known.isEmpty ? "none" : known)"))
                continue
            }
            if entry.value.isNull { continue }
            guard let limit = Values.wholeNumber(entry.value) else {
                issues.append(SettingsIssue(field, "must be a whole number of requests, not \(entry.value.typeName == "a number" ? "a fraction" : entry.value.typeName)"))
                continue
            }
            if limit < 1 {
                issues.append(SettingsIssue(field, "must be at least 1 request \(window.label); disable the destination to stop sending"))
            } else if limit > window.limit {
                issues.append(SettingsIssue(field, "\(limitOrigin(window, destination)); a limit may only be lowered, not raised to \(limit)"))
            } else {
                limits[window.key] = Int(limit)
            }
        }
        return (limits, issues)
    }
}

extension CommonSettings {
    /// Small helpers for reading settings values; nested so destinations share them without
    /// claiming a module-wide name.
    enum Values {
        /// `text` without leading or trailing spaces, tabs or line breaks (a pasted key often has one).
        static func trimmed(_ text: String) -> String {
            var scalars = Substring(text)
            while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
            while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
            return String(scalars)
        }

        /// An integer given as a JSON integer, an integral double or digit text.
        static func wholeNumber(_ value: JSON) -> Int64? {
            switch value {
            case .int(let i): return i
            case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int64(d)
            case .string(let s): return Int64(trimmed(s))
            default: return nil
            }
        }
    }

    /// Checks an http(s) URL without Foundation's URL parser, whose leniency differs by platform.
    enum URLCheck {
        static func problem(with text: String) -> String? {
            let lower = text.lowercased()
            let rest: Substring
            if lower.hasPrefix("https://") {
                rest = text.dropFirst(8)
            } else if lower.hasPrefix("http://") {
                rest = text.dropFirst(7)
            } else {
                return "must start with https:// or http://"
            }
            if text.contains(where: { $0.isWhitespace }) { return "must not contain spaces" }
            if text.contains("?") || text.contains("#") { return "must not have a query or a fragment; give only scheme, host, optional port and path" }
            let authority = rest.prefix(while: { $0 != "/" })
            if authority.contains("@") { return "must not carry a user name or password; credentials belong in their own fields" }
            var host = authority
            if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
                let port = authority[authority.index(after: colon)...]
                guard let number = Int(port), (1...65535).contains(number) else { return "has an invalid port \"\(port)\"" }
                host = authority[..<colon]
            }
            if host.isEmpty { return "has no host name" }
            return nil
        }
    }
}
