import Foundation
import Logging

/// The credentials the simulators accept. The defaults are what `sluice demo` and
/// `sluice sandbox` configure; they have the shapes the real services use (40-character keys),
/// so they pass the destinations' settings validation.
public struct SandboxCredentials: Sendable, Hashable {
    /// Help Scout: a static bearer token, plus an OAuth app for the client-credentials flow.
    public var helpScoutAPIKey: String
    public var helpScoutAppId: String
    public var helpScoutAppSecret: String
    /// Zendesk: Basic `email:password`, or `email/token:apiToken`.
    public var zendeskEmail: String
    public var zendeskPassword: String
    public var zendeskAPIToken: String
    /// Intercom: the access token sent as a bearer token.
    public var intercomAccessToken: String
    /// ClientSuccess: the `api_key` query parameter and the project in the collector's path.
    public var clientSuccessAPIKey: String
    public var clientSuccessProjectId: String

    public init(helpScoutAPIKey: String, helpScoutAppId: String, helpScoutAppSecret: String,
                zendeskEmail: String, zendeskPassword: String, zendeskAPIToken: String,
                intercomAccessToken: String, clientSuccessAPIKey: String, clientSuccessProjectId: String) {
        self.helpScoutAPIKey = helpScoutAPIKey
        self.helpScoutAppId = helpScoutAppId
        self.helpScoutAppSecret = helpScoutAppSecret
        self.zendeskEmail = zendeskEmail
        self.zendeskPassword = zendeskPassword
        self.zendeskAPIToken = zendeskAPIToken
        self.intercomAccessToken = intercomAccessToken
        self.clientSuccessAPIKey = clientSuccessAPIKey
        self.clientSuccessProjectId = clientSuccessProjectId
    }

    public static let demo = SandboxCredentials(
        helpScoutAPIKey: "sandboxhelpscoutapikey000000000000000000",
        helpScoutAppId: "sandboxhelpscoutapp",
        helpScoutAppSecret: "sandboxhelpscoutappsecret000000",
        zendeskEmail: "agent@sandbox.sluice.test",
        zendeskPassword: "sandbox-password",
        zendeskAPIToken: "sandboxzendeskapitoken000000000000000000",
        intercomAccessToken: "sandboxintercomaccesstoken00000000000000",
        clientSuccessAPIKey: "sandbox-clientsuccess-key",
        clientSuccessProjectId: "sandbox-project")

    /// The settings each destination needs to reach the sandbox, as `name: value` lines,
    /// secrets included: this is what an operator copies into the settings.
    public func lines(for destination: SandboxDestination) -> [(name: String, value: String)] {
        switch destination {
        case .helpscout:
            return [("API Key", helpScoutAPIKey), ("or App ID", helpScoutAppId), ("with App Secret", helpScoutAppSecret)]
        case .zendesk:
            return [("Email", zendeskEmail), ("Password", zendeskPassword),
                    ("or Email", zendeskEmail + "/token"), ("with Password (API token)", zendeskAPIToken)]
        case .intercom:
            return [("API Key", intercomAccessToken)]
        case .clientsuccess:
            return [("API Key", clientSuccessAPIKey), ("Project Id", clientSuccessProjectId)]
        }
    }
}

/// Behaviour the simulators do not share.
public struct SimulatorOptions: Sendable, Hashable {
    /// Lifetime of Help Scout OAuth tokens (the API's is two days).
    public var helpScoutTokenLifetime: Duration = .seconds(172_800)
    /// Help Scout property slugs the account defines; nil accepts any slug.
    public var helpScoutPropertySlugs: Set<String>?
    /// How long a new Intercom contact stays invisible to `POST /contacts/search`, as
    /// Intercom's search index lags behind creates.
    public var intercomSearchIndexLag: Duration = .zero
    /// Intercom's limit on distinct event names.
    public var intercomEventNameLimit = 120
    /// Intercom data attributes the workspace defines; nil accepts any custom attribute.
    public var intercomDataAttributes: Set<String>?
    /// Events kept per simulator (Intercom's data events, ClientSuccess's usage events); older
    /// ones are let go and counted as `eventsDropped` in the state.
    public var eventLogCapacity = 100_000

    public init() {}
}

public struct SandboxConfiguration: Sendable {
    public var credentials: SandboxCredentials
    public var rateLimits: [SandboxDestination: RateLimitPolicy]
    public var options: SimulatorOptions
    public var clock: any SandboxClock
    public var logger: Logger
    /// Largest request body read; bigger ones get 413.
    public var maxBodyBytes: Int

    /// `limitScale` multiplies every documented limit (see `RateLimitPolicy.scale`).
    public init(credentials: SandboxCredentials = .demo, limitScale: Double = 1, options: SimulatorOptions = SimulatorOptions(),
                clock: any SandboxClock = SystemClock(), logger: Logger = Logger(label: "sluice.sandbox"),
                maxBodyBytes: Int = 4 << 20) {
        self.credentials = credentials
        var limits: [SandboxDestination: RateLimitPolicy] = [:]
        for destination in SandboxDestination.allCases {
            var policy = RateLimitPolicy.documented(for: destination)
            policy.scale = limitScale
            limits[destination] = policy
        }
        self.rateLimits = limits
        self.options = options
        self.clock = clock
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
    }
}
