import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
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
    private let services: ServiceGroup
    private let server: Task<Void, Never>

    private init(host: String, port: Int, core: SandboxCore, services: ServiceGroup, server: Task<Void, Never>) {
        self.host = host
        self.port = port
        self.core = core
        self.services = services
        self.server = server
    }

    /// Starts the server and returns once it listens. `port` 0 picks a free port; read `port`.
    public static func start(host: String = "127.0.0.1", port: Int = 0, configuration: SandboxConfiguration = SandboxConfiguration()) async throws -> Sandbox {
        let core = SandboxCore(configuration: configuration)
        let started = StartSignal()
        let app = Application(
            responder: SandboxResponder(core: core),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "sluice-sandbox"),
            onServerRunning: { channel in started.succeed(channel.localAddress?.port ?? port) },
            logger: configuration.logger)
        let services = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: configuration.logger))
        let server = Task {
            do {
                try await services.run()
                started.fail(SandboxStartError(host: host, port: port, reason: "the server stopped before it was listening"))
            } catch {
                started.fail(SandboxStartError(host: host, port: port, reason: String(describing: error)))
            }
        }
        do {
            let boundPort = try await started.wait()
            return Sandbox(host: host, port: boundPort, core: core, services: services, server: server)
        } catch {
            server.cancel()
            throw error
        }
    }

    /// Stops listening, lets requests in progress finish (a `hang` outage releases its requests),
    /// and closes the connections. Requests still running after `grace` are cancelled.
    public func shutdown(grace: Duration = .seconds(2)) async {
        core.stopping.signal()
        await services.triggerGracefulShutdown()
        let server = self.server
        let deadline = Task {
            try? await Task.sleep(for: grace)
            server.cancel()
        }
        await server.value
        deadline.cancel()
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

/// Resolves `start` with the bound port or the server's failure, whichever comes first.
private final class StartSignal: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Int, Error>?)
        case done(Result<Int, Error>)
    }

    private let state = Mutex(State.waiting(nil))

    func succeed(_ port: Int) { resolve(.success(port)) }
    func fail(_ error: Error) { resolve(.failure(error)) }

    private func resolve(_ result: Result<Int, Error>) {
        let waiter: CheckedContinuation<Int, Error>? = state.withLock { state in
            guard case .waiting(let continuation) = state else { return nil }
            state = .done(result)
            return continuation
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<Int, Error>? = state.withLock { state in
                switch state {
                case .waiting: state = .waiting(continuation); return nil
                case .done(let result): return result
                }
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

// MARK: - Hummingbird glue

/// Keeps the connection's channel so an outage can close it without answering.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        channel = source.channel
    }
}

struct SandboxResponder: HTTPResponder {
    let core: SandboxCore

    func respond(to request: Request, context: SandboxRequestContext) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: core.configuration.maxBodyBytes)
        } catch {
            return Response(status: .contentTooLarge)
        }
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        let host = request.head.authority ?? headers["host"] ?? "127.0.0.1"
        let reply = await core.handle(method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query,
                                      headers: headers, body: Array(body.readableBytesView), host: host)
        switch reply {
        case .response(let response):
            var fields = HTTPFields()
            for header in response.headers {
                if let name = HTTPField.Name(header.name) { fields.append(HTTPField(name: name, value: header.value)) }
            }
            return Response(status: HTTPResponse.Status(code: response.status), headers: fields,
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
        case .closeConnection:
            try? await context.channel.close()
            throw ConnectionDropped()
        }
    }

    struct ConnectionDropped: Error {}
}
