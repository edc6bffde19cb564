import Foundation
import Logging
import SluiceSpec

/// A reply now, or the part of the work that has to wait.
enum SandboxStep: Sendable {
    case reply(SandboxReply)
    case later(@Sendable () async -> SandboxReply)
}

/// What the server does with a request.
enum SandboxReply: Sendable {
    case response(SandboxResponse)
    /// Close the connection without answering.
    case closeConnection
}

/// One simulated API behind the machinery every API shares, applied in the order a real
/// service would: outage, added latency, credentials, 429 storm, rate limit, injected error,
/// and only then the simulator itself. Every request is counted.
final class SimulatedDestination: Sendable {
    let destination: SandboxDestination
    let simulator: any APISimulator
    let limiter: FixedWindowRateLimiter
    let faults = FaultInjector()
    let stats = StatsRecorder()
    let clock: any SandboxClock
    private let stopping: StopSignal
    private let logger: Logger

    init(destination: SandboxDestination, simulator: any APISimulator, policy: RateLimitPolicy, clock: any SandboxClock,
         stopping: StopSignal = StopSignal(), logger: Logger) {
        self.destination = destination
        self.simulator = simulator
        self.limiter = FixedWindowRateLimiter(policy: policy)
        self.clock = clock
        self.stopping = stopping
        self.logger = logger
    }

    func respond(to request: SandboxRequest) async -> SandboxReply {
        switch step(for: request) {
        case .reply(let reply): return reply
        case .later(let remainder): return await remainder()
        }
    }

    /// The answer, worked out at once unless a fault makes it wait (added latency, a `hang`
    /// outage): then the waiting part comes back to be run asynchronously.
    func step(for request: SandboxRequest) -> SandboxStep {
        let match = simulator.routes.match(method: request.method, path: request.path)
        let route = match?.key ?? RouteKey.unmatched(request.method)

        switch faults.outage(at: clock.now) {
        case .closeConnection?:
            return .reply(finish(route, .closeConnection, outcome: .connectionClosed))
        case .noAnswer?:
            let reply = finish(route, .closeConnection, outcome: .unanswered)
            return .later {
                await self.waitWhileUnanswering()
                return reply
            }
        case .serviceUnavailable?:
            return .reply(answer(route, simulator.errorResponse(status: 503, message: "Service Unavailable")))
        case nil:
            break
        }

        let delay = faults.delay()
        if delay > .zero {
            return .later {
                try? await Task.sleep(for: delay)
                return self.admit(request, match, route)
            }
        }
        return .reply(admit(request, match, route))
    }

    /// Credentials, 429 storm, rate limit, injected error, and then the simulator itself.
    private func admit(_ request: SandboxRequest, _ match: RouteMatch?, _ route: RouteKey) -> SandboxReply {
        let now = clock.now
        var rateLimitHeaders: [(name: String, value: String)] = []
        if !simulator.isPublic(route) {
            if let denial = simulator.authenticate(request, now: now) {
                return answer(route, denial)
            }
            if let stormEnd = faults.stormEnd(at: now) {
                return refuse(route, storm: stormEnd, now: now)
            }
            switch limiter.admit(isWrite: match?.isWrite ?? request.isWrite, at: now) {
            case .limited(let exhausted, let all):
                let refusal = RateLimitRefusal(windowName: exhausted.window.name, limit: exhausted.limit,
                                               retryAfterSeconds: exhausted.secondsUntilReset(from: now), statuses: all,
                                               resetAt: exhausted.resetAt)
                return refuse(route, refusal, cause: .limit, now: now)
            case .allowed(let statuses):
                rateLimitHeaders = simulator.rateLimitHeaders(statuses, now: now)
            }
        }

        var response: SandboxResponse
        if let status = faults.injectedErrorStatus() {
            response = simulator.errorResponse(status: status, message: HTTPStatusText.text(status))
        } else if let match {
            response = simulator.handle(match, request, now: now)
        } else {
            response = simulator.errorResponse(status: 404, message: "No \(destination.displayName) endpoint \(request.method) \(request.path)")
        }
        response.addHeaders(rateLimitHeaders)
        return answer(route, response)
    }

    /// A storm answers like an exhausted window that resets when the storm ends.
    private func refuse(_ route: RouteKey, storm end: Date, now: Date) -> SandboxReply {
        let statuses = limiter.statuses(at: now).map {
            RateLimitStatus(window: $0.window, limit: $0.limit, remaining: 0, resetAt: max($0.resetAt, end))
        }
        let first = statuses.first
        let refusal = RateLimitRefusal(windowName: "storm", limit: first?.limit ?? 0,
                                       retryAfterSeconds: max(1, Int(end.timeIntervalSince(now).rounded(.up))),
                                       statuses: statuses, resetAt: end)
        return refuse(route, refusal, cause: .storm, now: now)
    }

    private func refuse(_ route: RouteKey, _ refusal: RateLimitRefusal, cause: RateLimitRecord.Cause, now: Date) -> SandboxReply {
        stats.recordRateLimited(RateLimitRecord(time: now, route: route, window: refusal.windowName,
                                                retryAfterSeconds: refusal.retryAfterSeconds, cause: cause))
        return answer(route, simulator.tooManyRequests(refusal, now: now))
    }

    private func answer(_ route: RouteKey, _ response: SandboxResponse) -> SandboxReply {
        finish(route, .response(response), outcome: .status(response.status))
    }

    private func finish(_ route: RouteKey, _ reply: SandboxReply, outcome: RequestOutcome) -> SandboxReply {
        stats.record(route, outcome)
        // The route template, never the raw path or query: ClientSuccess carries its key in the query.
        logger.debug("\(destination.rawValue) \(route) → \(outcome)")
        return reply
    }

    /// Longest a `hang` outage holds one request, so a forgotten outage cannot pin connections forever.
    static let longestHang: Duration = .seconds(600)

    /// Holds the request until the outage ends (or the server stops); then the connection closes.
    private func waitWhileUnanswering() async {
        let started = ContinuousClock.now
        while faults.outage(at: clock.now) == .noAnswer, !stopping.isSignalled, ContinuousClock.now - started < Self.longestHang {
            do { try await Task.sleep(for: .milliseconds(20)) } catch { return }
        }
    }

    func reset() {
        simulator.reset()
        limiter.reset()
        stats.reset()
        faults.apply(.none, now: clock.now)
    }
}
