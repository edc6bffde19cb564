import Foundation
import Logging
import SluiceSpec
import Synchronization

/// The four simulated destinations and the control API, independent of the HTTP server: a
/// request's method, path, query, headers and body in, a reply out. `Sandbox` serves it over
/// HTTP; tests can also call it directly.
final class SandboxCore: Sendable {
    static let controlPrefix = "/_sandbox"

    let configuration: SandboxConfiguration
    let destinations: [SandboxDestination: SimulatedDestination]
    let helpScout: HelpScoutSimulator
    let zendesk: ZendeskSimulator
    let intercom: IntercomSimulator
    let clientSuccess: ClientSuccessSimulator
    /// Set when the server shuts down, so requests held by a `hang` outage are let go.
    let stopping = StopSignal()

    init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        let credentials = configuration.credentials
        helpScout = HelpScoutSimulator(credentials: credentials, options: configuration.options)
        zendesk = ZendeskSimulator(credentials: credentials)
        intercom = IntercomSimulator(credentials: credentials, options: configuration.options)
        clientSuccess = ClientSuccessSimulator(credentials: credentials, options: configuration.options)
        let simulators: [SandboxDestination: any APISimulator] = [
            .helpscout: helpScout, .zendesk: zendesk, .intercom: intercom, .clientsuccess: clientSuccess,
        ]
        var destinations: [SandboxDestination: SimulatedDestination] = [:]
        for (destination, simulator) in simulators {
            destinations[destination] = SimulatedDestination(
                destination: destination, simulator: simulator,
                policy: configuration.rateLimits[destination] ?? .documented(for: destination),
                clock: configuration.clock, stopping: stopping, logger: configuration.logger)
        }
        self.destinations = destinations
    }

    var clock: any SandboxClock { configuration.clock }

    subscript(destination: SandboxDestination) -> SimulatedDestination { destinations[destination]! }

    /// `path` is the full, still percent-encoded path; `host` is the request's `Host`, used to
    /// write absolute `Location` headers.
    func handle(method: String, path: String, rawQuery: String?, headers: [String: String], body: [UInt8], host: String) async -> SandboxReply {
        switch step(method: method, path: path, rawQuery: rawQuery, headers: headers, body: body, host: host) {
        case .reply(let reply): return reply
        case .later(let remainder): return await remainder()
        }
    }

    /// `handle`, answered at once when no fault makes the request wait.
    func step(method: String, path: String, rawQuery: String?, headers: [String: String], body: [UInt8], host: String) -> SandboxStep {
        step(method: method, path: path, rawQuery: rawQuery,
             lowercasedHeaders: Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last }), body: body, host: host)
    }

    /// `step` for the server, whose parser lowercases header names as it reads them.
    func step(method: String, path: String, rawQuery: String?, lowercasedHeaders headers: [String: String], body: [UInt8], host: String) -> SandboxStep {
        let query = rawQuery.map { FormEncoding.decode($0) } ?? []
        if Self.isBelow(path, Self.controlPrefix) {
            let request = SandboxRequest(method: method, path: String(path.dropFirst(Self.controlPrefix.count)), query: query,
                                         lowercasedHeaders: headers, body: body, baseURL: "http://" + host)
            return .reply(.response(ControlAPI.handle(request, core: self)))
        }
        for destination in SandboxDestination.allCases {
            let prefix = destination.pathPrefix
            guard Self.isBelow(path, prefix) else { continue }
            let request = SandboxRequest(method: method, path: String(path.dropFirst(prefix.count)), query: query,
                                         lowercasedHeaders: headers, body: body, baseURL: "http://" + host + prefix)
            return self[destination].step(for: request)
        }
        return .reply(.response(.json(404, [
            "error": .string("no sandbox destination at \(path)"),
            "fix": .string("paths start with " + SandboxDestination.allCases.map(\.pathPrefix).joined(separator: ", ") + " or \(Self.controlPrefix)"),
        ])))
    }

    /// `prefix` itself or a path under it (`/intercom`, `/intercom/events`; not `/intercomx`).
    static func isBelow(_ path: String, _ prefix: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        return rest.first.map { $0 == UInt8(ascii: "/") } ?? true
    }

    func reset() {
        for destination in destinations.values { destination.reset() }
    }
}

final class StopSignal: Sendable {
    private let stopped = Mutex(false)

    func signal() { stopped.withLock { $0 = true } }
    var isSignalled: Bool { stopped.withLock { $0 } }
}
