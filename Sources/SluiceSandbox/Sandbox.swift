import Foundation
import Logging
import SluiceSpec
import Synchronization

/// Local simulators of Help Scout, Zendesk, Intercom and ClientSuccess on one HTTP server, one
/// path prefix per destination: point a destination's base URL at `baseURL(for:)`.
///
///     let sandbox = try await Sandbox.start()              // port 0: a free port
///     settings.baseURL = sandbox.baseURL(for: .intercom)   // http://127.0.0.1:PORT/intercom
///     sandbox.setFaults(FaultSettings(errorRate: 0.2, seed: 1), for: .intercom)
///     sandbox.state(of: .intercom)["contacts"]
///     await sandbox.shutdown()
public final class Sandbox: Sendable {
    public let host: String
    public let port: Int
    let core: SandboxCore
    private let server: SandboxServer

    private init(host: String, port: Int, core: SandboxCore, server: SandboxServer) {
        self.host = host
        self.port = port
        self.core = core
        self.server = server
    }

    /// Starts the server and returns once it listens. `port` 0 picks a free port; read `port`.
    public static func start(host: String = "127.0.0.1", port: Int = 0, configuration: SandboxConfiguration = SandboxConfiguration()) async throws -> Sandbox {
        let core = SandboxCore(configuration: configuration)
        do {
            let server = try await SandboxServer.start(host: host, port: port, core: core)
            return Sandbox(host: host, port: server.port, core: core, server: server)
        } catch {
            throw SandboxStartError(host: host, port: port, reason: String(describing: error))
        }
    }

    /// Stops listening, lets requests in progress finish (a `hang` outage releases its requests),
    /// and closes the connections. Requests still running after `grace` are cut off.
    public func shutdown(grace: Duration = .seconds(2)) async {
        core.stopping.signal()
        await server.shutdown(grace: grace)
    }

    // MARK: - Addresses and credentials

    /// `http://HOST:PORT/intercom`, the base URL a destination's settings should use.
    public func baseURL(for destination: SandboxDestination) -> String {
        rootURL + destination.pathPrefix
    }

    /// `http://HOST:PORT/_sandbox`, the control API.
    public var controlURL: String { rootURL + SandboxCore.controlPrefix }

    public var rootURL: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)"
    }

    public var credentials: SandboxCredentials { core.configuration.credentials }

    // MARK: - State and counters

    /// Every object the destination holds, as the control API's `state` shows it.
    public func state(of destination: SandboxDestination) -> JSON {
        core[destination].simulator.stateJSON()
    }

    public func stats(for destination: SandboxDestination) -> DestinationStats {
        core[destination].stats.snapshot
    }

    /// Forgets objects, counters, faults and window counts: of one destination, or of all.
    public func reset(_ destination: SandboxDestination? = nil) {
        if let destination { core[destination].reset() } else { core.reset() }
    }

    // MARK: - Faults

    /// Replaces the destination's faults; durations start now on the sandbox clock.
    public func setFaults(_ faults: FaultSettings, for destination: SandboxDestination) {
        core[destination].faults.apply(faults, now: core.clock.now)
    }

    public func faults(for destination: SandboxDestination) -> FaultSettings {
        core[destination].faults.settings
    }

    public func clearFaults(for destination: SandboxDestination) {
        setFaults(.none, for: destination)
    }

    // MARK: - Rate limits

    public func rateLimitPolicy(for destination: SandboxDestination) -> RateLimitPolicy {
        core[destination].limiter.policy
    }

    /// Takes effect on the next request; counts already made in the current window stay.
    public func setRateLimitPolicy(_ policy: RateLimitPolicy, for destination: SandboxDestination) {
        core[destination].limiter.setPolicy(policy)
    }

    /// Changes one window's limit, e.g. `setLimit(50, window: "minute", for: .zendesk)`.
    public func setLimit(_ limit: Int, window: String, for destination: SandboxDestination) {
        var policy = rateLimitPolicy(for: destination)
        if let index = policy.windows.firstIndex(where: { $0.name == window }) { policy.windows[index].limit = limit }
        setRateLimitPolicy(policy, for: destination)
    }

    /// Sets the multiplier of every limit, of one destination or of all.
    public func setLimitScale(_ scale: Double, for destination: SandboxDestination? = nil) {
        for target in destination.map({ [$0] }) ?? SandboxDestination.allCases {
            var policy = rateLimitPolicy(for: target)
            policy.scale = scale
            setRateLimitPolicy(policy, for: target)
        }
    }

    /// Each window's standing now, without counting a request.
    public func rateLimitStatus(for destination: SandboxDestination) -> [RateLimitStatus] {
        core[destination].limiter.statuses(at: core.clock.now)
    }
}

public struct SandboxStartError: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let reason: String

    public var description: String {
        if reason.localizedCaseInsensitiveContains("address already in use") {
            return "cannot listen on \(host):\(port): the port is in use; stop what uses it or choose another port (0 picks a free one)"
        }
        return "cannot listen on \(host):\(port): \(reason)"
    }
}
