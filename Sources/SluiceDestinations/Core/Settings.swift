import Foundation
import SluiceSpec

/// One problem (or, with `.notice`, one automatic correction) in a destination's settings,
/// phrased for an operator and tied to the field it concerns.
public struct SettingsIssue: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, notice }
    public let field: String
    public let message: String
    public let severity: Severity

    public init(_ field: String, _ message: String, severity: Severity = .error) {
        self.field = field
        self.message = message
        self.severity = severity
    }

    public var description: String { "\(field): \(message)" }
}

/// Settings that failed validation; `issues` holds every error found, not just the first.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public let destination: DestinationID?
    public let issues: [SettingsIssue]

    public init(_ destination: DestinationID?, _ issues: [SettingsIssue]) {
        self.destination = destination
        self.issues = issues
    }

    public var description: String {
        let prefix = destination.map { "\($0.displayName) settings: " } ?? "settings: "
        return prefix + issues.map(\.description).joined(separator: "; ")
    }
}

/// How a form shows and edits one setting; the console and the CLI both read this.
public struct SettingField: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case text, secret, bool, integer
        case choice([String])
        /// A list of strings, edited as comma-separated text.
        case list
        /// A map from a string to one of the choices, edited as `key=value` pairs.
        case map(choices: [String])
    }

    public let key: String
    public let label: String
    public let kind: Kind
    public let help: String

    public init(_ key: String, _ label: String, _ kind: Kind, help: String) {
        self.key = key
        self.label = label
        self.kind = kind
        self.help = help
    }
}

/// A documented rate-limit window. `writesOnly` windows count only POST/PUT/PATCH/DELETE.
public struct RateLimitWindow: Sendable, Hashable {
    public let key: String
    public let label: String
    public let limit: Int
    public let seconds: Double
    public let writesOnly: Bool

    public init(key: String, label: String, limit: Int, seconds: Double, writesOnly: Bool = false) {
        self.key = key
        self.label = label
        self.limit = limit
        self.seconds = seconds
        self.writesOnly = writesOnly
    }

    public func withLimit(_ limit: Int) -> RateLimitWindow {
        RateLimitWindow(key: key, label: label, limit: limit, seconds: seconds, writesOnly: writesOnly)
    }
}

/// Settings every destination has.
public struct CommonSettings: Sendable, Hashable {
    public var enabled: Bool
    /// Replaces the API's base URL, to target the sandbox, a test server or a staging account.
    public var baseURL: String?
    /// Operator limits per window key; each may only be lower than the documented limit.
    public var rateLimits: [String: Int]

    public init(enabled: Bool = false, baseURL: String? = nil, rateLimits: [String: Int] = [:]) {
        self.enabled = enabled
        self.baseURL = baseURL
        self.rateLimits = rateLimits
    }
}

public protocol DestinationSettings: Sendable, Hashable {
    static var destination: DestinationID { get }
    /// Every field, in the order the destination's doc lists them, common fields last.
    static var fields: [SettingField] { get }
    var common: CommonSettings { get set }
    /// Parses, normalizes and validates; throws every error at once.
    init(json: JSONObject) throws(SettingsError)
    /// The settings-file form. Secrets are masked unless `revealSecrets`.
    func json(revealSecrets: Bool) -> JSONObject
    /// What parsing changed on its own, e.g. a stripped `.zendesk.com`.
    var notices: [SettingsIssue] { get }
    /// Every credential, so requests and logs can redact them.
    var secrets: [Secret] { get }
}

/// A destination reads like its doc: its settings, its documented limits and one mapping per call.
public protocol Destination: Sendable {
    associatedtype Settings: DestinationSettings
    static var id: DestinationID { get }
    static var defaultBaseURL: String { get }
    static var documentedRateLimits: [RateLimitWindow] { get }
    static var supportedTypes: Set<EventType> { get }
    static func map(_ event: Event, settings: Settings, context: MappingContext) async throws -> MappingOutcome
}
