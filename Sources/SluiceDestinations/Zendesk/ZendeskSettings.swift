import SluiceSpec

/// Zendesk Support plans, which set the documented per-minute API limit.
public enum ZendeskPlan: String, Sendable, Hashable, CaseIterable {
    case team, growth, professional, enterprise, enterprisePlus

    public var displayName: String {
        switch self {
        case .team: return "Team"
        case .growth: return "Growth"
        case .professional: return "Professional"
        case .enterprise: return "Enterprise"
        case .enterprisePlus: return "Enterprise Plus"
        }
    }

    /// Support API requests per minute on this plan.
    public var requestsPerMinute: Int {
        switch self {
        case .team: return 200
        case .growth, .professional: return 400
        case .enterprise: return 700
        case .enterprisePlus: return 2_500
        }
    }

    public var documentedRateLimits: [RateLimitWindow] {
        [RateLimitWindow(key: "perMinute", label: "requests per minute on the \(displayName) plan", limit: requestsPerMinute, seconds: 60)]
    }

    /// Accepts the key or the display name in any case, with or without spaces, `_` or `-`.
    public init?(name: String) {
        let folded = String(name.lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" })
        guard let plan = Self.allCases.first(where: { $0.rawValue.lowercased() == folded }) else { return nil }
        self = plan
    }
}

/// Zendesk's settings, as its Segment doc lists them (Email, Password, Subdomain, Create Users
/// as Verified), plus the plan that sets the rate limit and the shared settings.
public struct ZendeskSettings: DestinationSettings, CustomStringConvertible {
    public static let destination = DestinationID.zendesk
    static let tokenSuffix = "/token"

    public enum Key {
        public static let email = "email"
        public static let password = "password"
        public static let subdomain = "subdomain"
        public static let verified = "verified"
        public static let plan = "plan"
    }

    public var common: CommonSettings
    /// The login email, without the `/token` suffix.
    public var email: String?
    /// The email was entered as `you@example.com/token`: `password` holds an API token.
    public var usesAPIToken: Bool
    /// The account password, or the API token with `usesAPIToken`.
    public var password: Secret?
    /// The account's name in `{subdomain}.zendesk.com`.
    public var subdomain: String?
    /// "Create Users as Verified": users are upserted with `verified: true`, so Zendesk sends
    /// them no verification email.
    public var verified: Bool
    public var plan: ZendeskPlan
    public private(set) var notices: [SettingsIssue] = []

    public init(email: String? = nil, usesAPIToken: Bool = false, password: Secret? = nil, subdomain: String? = nil,
                verified: Bool = false, plan: ZendeskPlan = .team, common: CommonSettings = CommonSettings()) {
        self.email = email
        self.usesAPIToken = usesAPIToken
        self.password = password
        self.subdomain = subdomain
        self.verified = verified
        self.plan = plan
        self.common = common
    }

    public var secrets: [Secret] { password.map { [$0] } ?? [] }

    /// `https://{subdomain}.zendesk.com`, or the base-URL override.
    public var apiBaseURL: String {
        common.baseURL ?? "https://\(subdomain ?? "{subdomain}").zendesk.com"
    }

    /// The plan's documented window, lowered where the operator asked.
    public var rateLimits: [RateLimitWindow] { common.effectiveRateLimits(documented: plan.documentedRateLimits) }

    /// `Basic base64(email:password)`, or `Basic base64(email/token:api_token)` for token login.
    public var authorization: Secret {
        let user = (email ?? "") + (usesAPIToken ? Self.tokenSuffix : "")
        return Secret("Basic " + Base64.encode(Array((user + ":" + (password?.reveal() ?? "")).utf8)))
    }

    public static var fields: [SettingField] {
        [
            SettingField(Key.email, "Email", .text,
                         help: "Your Zendesk account email. For API-token login enter it as you@example.com/token (the word token) and put the token in Password."),
            SettingField(Key.password, "Password", .secret,
                         help: "Your Zendesk account password, or the API token when the email ends in /token."),
            SettingField(Key.subdomain, "Subdomain", .text,
                         help: "Your Zendesk subdomain, without .zendesk.com: acme for acme.zendesk.com."),
            SettingField(Key.verified, "Create Users as Verified", .bool,
                         help: "Upsert users with verified: true, so Zendesk does not ask them to confirm their email."),
            SettingField(Key.plan, "Plan", .choice(ZendeskPlan.allCases.map(\.rawValue)),
                         help: "Your Zendesk plan sets the documented API limit per minute: Team 200, Growth and Professional 400, Enterprise 700, Enterprise Plus 2,500."),
        ] + CommonSettings.fields(defaultBaseURL: "https://{subdomain}.zendesk.com", documentedLimits: ZendeskPlan.team.documentedRateLimits)
    }

    static let knownKeys = [Key.email, Key.password, Key.subdomain, Key.verified, Key.plan,
                            CommonSettings.enabledKey, CommonSettings.baseURLKey, CommonSettings.rateLimitsKey]

    /// Issues (errors and notices) with one field's value, for showing inline while it is
    /// typed. A rate limit is checked against `plan` when given, else against the highest
    /// plan's limit; `init(json:)` checks it against the configured plan.
    public static func validate(field: String, value: JSON, plan: ZendeskPlan? = nil) -> [SettingsIssue] {
        switch field {
        case Key.email:
            return parseEmail(value).issues
        case Key.password:
            let parsed = SettingsValues.secret(value, Key.password, label: "password")
            return parsed.issues + parsed.notices
        case Key.subdomain:
            let parsed = parseSubdomain(value)
            return parsed.issues + parsed.notices
        case Key.verified:
            return SettingsValues.bool(value, Key.verified, label: "Create Users as Verified").issues
        case Key.plan:
            return parsePlan(value).issues
        case CommonSettings.baseURLKey:
            let parsed = parseCommon([CommonSettings.baseURLKey: value], plan: .team)
            return parsed.issues + parsed.notices
        default:
            if let issues = CommonSettings.validate(field: field, value: value, destination: destination,
                                                    documentedLimits: (plan ?? .enterprisePlus).documentedRateLimits) {
                return issues
            }
            return [SettingsIssue(field, SettingsFile.unknownFieldMessage(field, in: destination, known: knownKeys))]
        }
    }

    public init(json: JSONObject) throws(SettingsError) {
        let email = Self.parseEmail(json[Key.email] ?? .null)
        let password = SettingsValues.secret(json[Key.password] ?? .null, Key.password, label: "password")
        let subdomain = Self.parseSubdomain(json[Key.subdomain] ?? .null)
        let verified = SettingsValues.bool(json[Key.verified] ?? .null, Key.verified, label: "Create Users as Verified")
        let plan = Self.parsePlan(json[Key.plan] ?? .null)
        let common = Self.parseCommon(json, plan: plan.value)

        var issues = json.keys.filter { !Self.knownKeys.contains($0) }.map {
            SettingsIssue($0, SettingsFile.unknownFieldMessage($0, in: Self.destination, known: Self.knownKeys))
        }
        issues += email.issues + password.issues + subdomain.issues + verified.issues + plan.issues + common.issues
        if common.value.enabled {
            if email.value == nil, email.issues.isEmpty {
                issues.append(SettingsIssue(Key.email, "is required: the Zendesk login email, or you@example.com/token for API-token login"))
            }
            if password.value == nil, password.issues.isEmpty {
                let what = email.value?.token == true ? "the API token (the email ends in /token)" : "the account password, or an API token with the email entered as you@example.com/token"
                issues.append(SettingsIssue(Key.password, "is required: \(what)"))
            }
            if subdomain.value == nil, subdomain.issues.isEmpty, common.value.baseURL == nil {
                issues.append(SettingsIssue(Key.subdomain, "is required: the name before .zendesk.com, e.g. acme"))
            }
        }
        guard issues.isEmpty else { throw SettingsError(Self.destination, issues) }
        self.init(email: email.value?.address, usesAPIToken: email.value?.token ?? false, password: password.value,
                  subdomain: subdomain.value, verified: verified.value, plan: plan.value, common: common.value)
        notices = subdomain.notices + password.notices + common.notices
        if !usesAPIToken, let secret = password.value?.reveal(), Self.looksLikeAPIToken(secret) {
            notices.append(SettingsIssue(Key.password, "looks like an API token; if it is one, enter the email as \(email.value?.address ?? "you@example.com")/token", severity: .notice))
        }
    }

    public func json(revealSecrets: Bool) -> JSONObject {
        var object = JSONObject()
        object.appendUnique(CommonSettings.enabledKey, .bool(common.enabled))
        if let email { object.appendUnique(Key.email, .string(email + (usesAPIToken ? Self.tokenSuffix : ""))) }
        if let password { object.appendUnique(Key.password, .string(revealSecrets ? password.reveal() : password.masked)) }
        if let subdomain { object.appendUnique(Key.subdomain, .string(subdomain)) }
        object.appendUnique(Key.verified, .bool(verified))
        object.appendUnique(Key.plan, .string(plan.rawValue))
        for entry in common.jsonEntries() where entry.key != CommonSettings.enabledKey {
            object.appendUnique(entry.key, entry.value)
        }
        return object
    }

    public var description: String {
        let login = (email ?? "no email") + (usesAPIToken ? Self.tokenSuffix : "")
        let limits = common.rateLimits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "ZendeskSettings(enabled: \(common.enabled), email: \(login), password: \(password?.masked ?? "none"), "
            + "subdomain: \(subdomain ?? "none"), verified: \(verified), plan: \(plan.rawValue), baseURL: \(apiBaseURL), "
            + "rateLimits: [\(limits.joined(separator: ", "))])"
    }

    /// Equal when they would send the same requests; `notices` only record how the text read.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.common == rhs.common && lhs.email == rhs.email && lhs.usesAPIToken == rhs.usesAPIToken
            && lhs.password == rhs.password && lhs.subdomain == rhs.subdomain && lhs.verified == rhs.verified
            && lhs.plan == rhs.plan
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(common)
        hasher.combine(email)
        hasher.combine(usesAPIToken)
        hasher.combine(password)
        hasher.combine(subdomain)
        hasher.combine(verified)
        hasher.combine(plan)
    }

    // MARK: - Field parsers

    static func parseEmail(_ value: JSON) -> SettingsValues.Parsed<(address: String, token: Bool)?> {
        let parsed = SettingsValues.text(value, Key.email, label: "email")
        guard let text = parsed.value else { return (nil, parsed.issues, []) }
        var address = text
        var token = false
        if text.lowercased().hasSuffix(tokenSuffix) {
            address = String(text.dropLast(tokenSuffix.count))
            token = true
        }
        guard EmailAddress.isValid(address) else {
            return (nil, [SettingsIssue(Key.email, "'\(text)' is not an email address; enter the Zendesk login email, or you@example.com/token for API-token login")], [])
        }
        return ((address, token), [], [])
    }

    /// Takes what an operator pastes (`https://acme.zendesk.com/agent`, `Acme.zendesk.com`) down
    /// to the hostname label, saying what was removed.
    static func parseSubdomain(_ value: JSON) -> SettingsValues.Parsed<String?> {
        let parsed = SettingsValues.text(value, Key.subdomain, label: "subdomain")
        guard let original = parsed.value else { return parsed }
        var label = original.lowercased()
        var removed: [String] = []
        for scheme in ["https://", "http://"] where label.hasPrefix(scheme) {
            label.removeFirst(scheme.count)
            removed.append("'\(scheme)'")
        }
        if let slash = label.firstIndex(of: "/") {
            let path = String(label[slash...])
            label = String(label[..<slash])
            if path != "/" { removed.append("the path '\(path)'") } else { removed.append("the trailing '/'") }
        }
        if label.hasSuffix(".zendesk.com") {
            label.removeLast(".zendesk.com".count)
            removed.append("'.zendesk.com'")
        }
        if let problem = hostnameLabelProblem(label) {
            return (nil, [SettingsIssue(Key.subdomain, "'\(original)' is not a Zendesk subdomain: \(problem)")], [])
        }
        var notices: [SettingsIssue] = []
        if !removed.isEmpty {
            notices.append(SettingsIssue(Key.subdomain, "removed \(removed.joined(separator: " and ")); the subdomain is '\(label)'", severity: .notice))
        } else if label != original {
            notices.append(SettingsIssue(Key.subdomain, "changed to lowercase: '\(label)'", severity: .notice))
        }
        return (label, [], notices)
    }

    /// Why `label` is not a DNS hostname label (RFC 1123), or nil when it is one.
    static func hostnameLabelProblem(_ label: String) -> String? {
        if label.isEmpty { return "it is empty; use the name before .zendesk.com, e.g. acme" }
        if label.contains(".") {
            return "use only the name before .zendesk.com (letters, digits and hyphens), e.g. acme for acme.zendesk.com; a custom host name such as support.acme.com does not work with the API"
        }
        if label.utf8.count > 63 { return "a subdomain has at most 63 characters" }
        if !label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            return "use only letters, digits and hyphens"
        }
        if label.hasPrefix("-") || label.hasSuffix("-") { return "it may not start or end with a hyphen" }
        return nil
    }

    static func parsePlan(_ value: JSON) -> SettingsValues.Parsed<ZendeskPlan> {
        if value.isNull { return (.team, [], []) }
        let choices = ZendeskPlan.allCases.map(\.rawValue).joined(separator: ", ")
        guard let text = value.stringValue else {
            return (.team, [SettingsIssue(Key.plan, "must be one of \(choices), not \(value.typeName)")], [])
        }
        let trimmed = CommonSettings.Values.trimmed(text)
        if trimmed.isEmpty { return (.team, [], []) }
        guard let plan = ZendeskPlan(name: trimmed) else {
            return (.team, [SettingsIssue(Key.plan, "'\(trimmed)' is not a Zendesk plan; use one of \(choices)")], [])
        }
        return (plan, [], [])
    }

    /// The shared settings against the plan's limit, with a pasted `/api/v2` path removed from
    /// the base URL: request paths already start with `/api/v2/`.
    static func parseCommon(_ json: JSONObject, plan: ZendeskPlan) -> SettingsValues.Parsed<CommonSettings> {
        var parsed = CommonSettings.parse(json, destination: destination, documentedLimits: plan.documentedRateLimits)
        if let url = parsed.settings.baseURL, url.lowercased().hasSuffix("/api/v2") {
            let trimmed = String(url.dropLast("/api/v2".count))
            parsed.settings.baseURL = trimmed
            parsed.notices.append(SettingsIssue(CommonSettings.baseURLKey, "removed '/api/v2' from the end; Sluice adds /api/v2/… paths itself, so requests go to \(trimmed)/api/v2/…", severity: .notice))
        }
        return (parsed.settings, parsed.issues, parsed.notices)
    }

    /// Zendesk API tokens are 40 letters and digits; passwords rarely are.
    static func looksLikeAPIToken(_ secret: String) -> Bool {
        secret.count == 40 && secret.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}

/// Standard base64 with padding, for the Basic authorization header.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(chunk >> UInt32(shift) & 0x3F)]) }
            index += 3
        }
        let remaining = bytes.count - index
        if remaining > 0 {
            let second = remaining == 2 ? UInt32(bytes[index + 1]) << 8 : 0
            let chunk = UInt32(bytes[index]) << 16 | second
            out.append(alphabet[Int(chunk >> 18 & 0x3F)])
            out.append(alphabet[Int(chunk >> 12 & 0x3F)])
            out.append(remaining == 2 ? alphabet[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
