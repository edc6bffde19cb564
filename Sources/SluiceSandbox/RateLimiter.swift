import Foundation
import Synchronization

/// One fixed window of an API's rate limit, aligned to the clock: a 60-second window starts at
/// every whole minute of Unix time, a 10-second window at every multiple of ten seconds.
public struct RateLimitWindow: Sendable, Hashable {
    /// The name the control API and the 429 records use, e.g. `minute` or `writes`.
    public var name: String
    public var limit: Int
    public var seconds: Double
    /// Counts only writes (POST, PUT, PATCH, DELETE), like Help Scout's burst limit.
    public var writesOnly: Bool

    public init(_ name: String, limit: Int, seconds: Double, writesOnly: Bool = false) {
        self.name = name
        self.limit = limit
        self.seconds = seconds
        self.writesOnly = writesOnly
    }
}

/// An API's rate limit: its windows and a multiplier applied to every window's limit.
public struct RateLimitPolicy: Sendable, Hashable {
    public var windows: [RateLimitWindow]
    /// Multiplies each limit (at least 1 request remains), so CI can hit limits sooner with a
    /// scale below 1 or load-test with a scale above.
    public var scale: Double
    public var isEnabled: Bool

    public init(windows: [RateLimitWindow], scale: Double = 1, isEnabled: Bool = true) {
        self.windows = windows
        self.scale = scale
        self.isEnabled = isEnabled
    }

    public func effectiveLimit(_ window: RateLimitWindow) -> Int {
        max(1, Int((Double(window.limit) * scale).rounded(.down)))
    }

    /// The published limits: Help Scout 200 a minute plus 12 writes per 5 s; Intercom 1,000 a
    /// minute enforced as 166 per 10 s; Zendesk's Team plan, 200 a minute; ClientSuccess
    /// publishes none, so 10 a second.
    public static func documented(for destination: SandboxDestination) -> RateLimitPolicy {
        switch destination {
        case .helpscout:
            return RateLimitPolicy(windows: [
                RateLimitWindow("minute", limit: 200, seconds: 60),
                RateLimitWindow("writes", limit: 12, seconds: 5, writesOnly: true),
            ])
        case .intercom:
            return RateLimitPolicy(windows: [RateLimitWindow("10s", limit: 166, seconds: 10)])
        case .zendesk:
            return RateLimitPolicy(windows: [RateLimitWindow("minute", limit: 200, seconds: 60)])
        case .clientsuccess:
            return RateLimitPolicy(windows: [RateLimitWindow("second", limit: 10, seconds: 1)])
        }
    }
}

/// Where one window stands after a request: what the API's headers report.
public struct RateLimitStatus: Sendable, Hashable {
    public let window: RateLimitWindow
    public let limit: Int
    public let remaining: Int
    /// When the window ends and the count starts again.
    public let resetAt: Date

    /// Whole seconds until the reset, at least 1, as `Retry-After` says it.
    public func secondsUntilReset(from now: Date) -> Int {
        max(1, Int((resetAt.timeIntervalSince(now)).rounded(.up)))
    }
}

enum RateLimitDecision: Sendable {
    /// Admitted and counted; one status per window that applies to the request.
    case allowed([RateLimitStatus])
    /// Refused by `exhausted`; nothing was counted.
    case limited(exhausted: RateLimitStatus, all: [RateLimitStatus])
}

/// Counts requests in fixed, clock-aligned windows. A refused request is not counted, and a
/// request is counted in every window only when all of them admit it.
final class FixedWindowRateLimiter: Sendable {
    private struct Counter {
        var windowIndex: Int64
        var used: Int
    }

    private struct State {
        var policy: RateLimitPolicy
        var counters: [String: Counter] = [:]
    }

    private let state: Mutex<State>

    init(policy: RateLimitPolicy) {
        state = Mutex(State(policy: policy))
    }

    var policy: RateLimitPolicy { state.withLock { $0.policy } }

    /// Changes take effect at once; counts already made in the current windows stay, so a
    /// lowered limit can leave nothing remaining until the window ends.
    func setPolicy(_ policy: RateLimitPolicy) {
        state.withLock { $0.policy = policy }
    }

    func reset() {
        state.withLock { $0.counters = [:] }
    }

    func admit(isWrite: Bool, at now: Date) -> RateLimitDecision {
        state.withLock { state in
            guard state.policy.isEnabled else { return .allowed([]) }
            let applicable = state.policy.windows.filter { !$0.writesOnly || isWrite }
            var statuses: [RateLimitStatus] = []
            var exhausted: RateLimitStatus?
            for window in applicable {
                let index = Self.windowIndex(window, now)
                let used = state.counters[window.name].flatMap { $0.windowIndex == index ? $0.used : nil } ?? 0
                let limit = state.policy.effectiveLimit(window)
                let status = RateLimitStatus(window: window, limit: limit, remaining: max(0, limit - used),
                                             resetAt: Self.windowEnd(window, index))
                if used >= limit, exhausted == nil { exhausted = status }
                statuses.append(status)
            }
            if let exhausted { return .limited(exhausted: exhausted, all: statuses) }
            var counted: [RateLimitStatus] = []
            for status in statuses {
                let index = Self.windowIndex(status.window, now)
                let used = state.counters[status.window.name].flatMap { $0.windowIndex == index ? $0.used : nil } ?? 0
                state.counters[status.window.name] = Counter(windowIndex: index, used: used + 1)
                counted.append(RateLimitStatus(window: status.window, limit: status.limit, remaining: status.remaining - 1, resetAt: status.resetAt))
            }
            return .allowed(counted)
        }
    }

    /// Every window's standing without counting anything, for the control API.
    func statuses(at now: Date) -> [RateLimitStatus] {
        state.withLock { state in
            state.policy.windows.map { window in
                let index = Self.windowIndex(window, now)
                let used = state.counters[window.name].flatMap { $0.windowIndex == index ? $0.used : nil } ?? 0
                let limit = state.policy.effectiveLimit(window)
                return RateLimitStatus(window: window, limit: limit, remaining: max(0, limit - used), resetAt: Self.windowEnd(window, index))
            }
        }
    }

    private static func windowIndex(_ window: RateLimitWindow, _ now: Date) -> Int64 {
        Int64((now.timeIntervalSince1970 / window.seconds).rounded(.down))
    }

    private static func windowEnd(_ window: RateLimitWindow, _ index: Int64) -> Date {
        Date(timeIntervalSince1970: Double(index + 1) * window.seconds)
    }
}
