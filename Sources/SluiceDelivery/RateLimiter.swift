import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization

/// Keeps one destination inside its rate limits. Windows are fixed and aligned to the clock
/// (as the APIs count them); each request takes a slot in every window that applies to it, and
/// a request that would overrun a window waits for the next one instead of being sent. The
/// API's own headers correct what the limiter believes (remaining, reset), and a 429 pauses the
/// destination until its Retry-After or reset time.
///
/// A request still in flight when its window ends may reach the API after the boundary and be
/// counted there, so a new window starts with those requests already counted: the ones still
/// out at the boundary that were sent within the recent longest round trip before it. A reply
/// that came back before the boundary cannot land after it, and one sent earlier than the
/// longest recent trip has almost surely arrived; counting every request then out would waste
/// a window's first slots after each burst.
public final class RateLimiter: Sendable {
    struct WindowState {
        var window: RateLimitWindow
        var documentedLimit: Int
        var windowStart: Double = 0
        var used = 0
        /// When each permit not yet completed was taken, from this window or earlier ones.
        var inFlight: [UInt64: Double] = [:]
        var headerLimit: Int?
        var headerRemaining: Int?
        var headerResetAt: Double?

        func applies(isWrite: Bool) -> Bool { isWrite || !window.writesOnly }

        /// Requests still out that may land in the window starting at `start`.
        func carried(into start: Double, trip: Double) -> Int {
            inFlight.values.count { $0 >= start - trip }
        }

        /// Moves to the window holding `now`; requests still out that were sent within `trip`
        /// of its start count against it.
        mutating func roll(to now: Double, trip: Double) {
            let start = (now / window.seconds).rounded(.down) * window.seconds
            guard windowStart != start else { return }
            windowStart = start
            used = carried(into: start, trip: trip)
            if let reset = headerResetAt, reset <= now {
                headerRemaining = nil
                headerResetAt = nil
            }
        }
    }

    struct State {
        var windows: [WindowState]
        var nextPermit: UInt64 = 0
        /// The longest recent round trip, decaying, at least `minimumTrip`.
        var recentTrip = RateLimiter.minimumTrip
        var pausedUntil: Double = 0
        var recent429s: [Double] = []
    }

    /// One admitted request. Hand it back to ``complete(_:)`` when its reply (or failure)
    /// arrives, so the limiter knows it can no longer land in a later window.
    public struct Permit: Sendable {
        let id: UInt64
        let sentAt: Double
        let isWrite: Bool
    }

    static let minimumTrip = 0.05

    public let destination: DestinationID
    private let state: Mutex<State>
    private let clock: @Sendable () -> Double

    public init(destination: DestinationID, windows: [RateLimitWindow], documented: [RateLimitWindow], clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.destination = destination
        self.clock = clock
        state = Mutex(State(windows: windows.map { window in
            WindowState(window: window, documentedLimit: documented.first { $0.key == window.key }?.limit ?? window.limit)
        }))
    }

    /// Applies new limits (an operator change) without forgetting what this window has used.
    public func update(windows: [RateLimitWindow]) {
        state.withLock { state in
            state.windows = windows.map { window in
                var updated = state.windows.first { $0.window.key == window.key }
                    ?? WindowState(window: window, documentedLimit: window.limit)
                updated.window = window
                return updated
            }
        }
    }

    /// Waits until a request may be sent, then counts it.
    @discardableResult
    public func acquire(isWrite: Bool) async throws -> Permit {
        while true {
            let decision: Decision = state.withLock { state in
                let now = clock()
                if state.pausedUntil > now { return .wait(state.pausedUntil - now) }
                var latest = 0.0
                for index in state.windows.indices where state.windows[index].applies(isWrite: isWrite) {
                    state.windows[index].roll(to: now, trip: state.recentTrip)
                    let window = state.windows[index]
                    let end = window.windowStart + window.window.seconds
                    let exhaustedLocally = window.used >= min(window.window.limit, window.headerLimit ?? Int.max)
                    let exhaustedByHeader = (window.headerRemaining ?? 1) <= 0 && (window.headerResetAt ?? end) > now
                    if exhaustedLocally || exhaustedByHeader {
                        latest = max(latest, (exhaustedByHeader ? (window.headerResetAt ?? end) : end) - now)
                    }
                }
                if latest > 0 { return .wait(latest) }
                state.nextPermit += 1
                for index in state.windows.indices where state.windows[index].applies(isWrite: isWrite) {
                    state.windows[index].used += 1
                    state.windows[index].inFlight[state.nextPermit] = now
                    if let remaining = state.windows[index].headerRemaining { state.windows[index].headerRemaining = remaining - 1 }
                }
                return .granted(Permit(id: state.nextPermit, sentAt: now, isWrite: isWrite))
            }
            switch decision {
            case .granted(let permit):
                return permit
            case .wait(let seconds):
                // Short naps, re-checked: a header, an operator change or a new window may free a slot sooner.
                try await Task.sleep(for: .milliseconds(min(25, Int((seconds * 1000).rounded(.up)) + 1)))
            }
        }
    }

    private enum Decision {
        case granted(Permit)
        case wait(Double)
    }

    /// The request behind `permit` has its reply (or has failed): it counted where it landed.
    public func complete(_ permit: Permit) {
        let now = clock()
        state.withLock { state in
            for index in state.windows.indices where state.windows[index].applies(isWrite: permit.isWrite) {
                // Roll first: had the window ended while the request was out, it may count there too.
                state.windows[index].roll(to: now, trip: state.recentTrip)
                state.windows[index].inFlight[permit.id] = nil
            }
            state.recentTrip = max(Self.minimumTrip, now - permit.sentAt, state.recentTrip * 0.98)
        }
    }

    /// Learns from a response: the header families of REFERENCE (Help Scout's old and new,
    /// Zendesk's, Intercom's) and a 429's Retry-After.
    public func observe(status: Int, headers: HTTPHeaders) {
        let now = clock()
        state.withLock { state in
            let limit = Self.integer(headers, ["X-RateLimit-Limit-Minute", "X-RateLimit-Limit", "X-Rate-Limit"])
            let remaining = Self.integer(headers, ["X-RateLimit-Remaining-Minute", "X-RateLimit-Remaining", "X-Rate-Limit-Remaining"])
            var resetAt: Double?
            if let reset = Self.double(headers, ["X-RateLimit-Reset"]) {
                resetAt = reset > 1_000_000_000 ? reset : now + reset
            }
            if let minuteRetry = Self.double(headers, ["X-RateLimit-Retry-After"]) { resetAt = now + minuteRetry }
            if limit != nil || remaining != nil {
                // The headers describe the destination's main (longest, all-requests) window.
                if let index = Self.mainWindowIndex(state.windows) {
                    if let limit { state.windows[index].headerLimit = limit }
                    if let remaining { state.windows[index].headerRemaining = remaining }
                    state.windows[index].headerResetAt = resetAt ?? state.windows[index].headerResetAt
                }
            }
            if status == 429 {
                state.recent429s.append(now)
                let retryAfter = Self.double(headers, ["Retry-After", "X-RateLimit-Retry-After"]).map { now + $0 } ?? resetAt ?? now + 1
                state.pausedUntil = max(state.pausedUntil, retryAfter)
            }
            state.recent429s.removeAll { $0 < now - 300 }
        }
    }

    public func snapshots(now: Double? = nil) -> [RateLimitSnapshot] {
        let now = now ?? clock()
        return state.withLock { state in
            state.windows.map { window in
                let start = (now / window.window.seconds).rounded(.down) * window.window.seconds
                let used = window.windowStart == start ? window.used : window.carried(into: start, trip: state.recentTrip)
                let localRemaining = max(0, window.window.limit - used)
                return RateLimitSnapshot(
                    destination: destination.rawValue, window: window.window.key, label: window.window.label,
                    documentedLimit: window.documentedLimit, operatorLimit: window.window.limit, headerLimit: window.headerLimit,
                    remaining: window.headerRemaining.map { min($0, localRemaining) } ?? localRemaining,
                    resetAt: Millis(((window.headerResetAt ?? start + window.window.seconds)) * 1000),
                    recent429s: state.recent429s.filter { $0 >= now - 300 }.count,
                    throttledUntil: state.pausedUntil > now ? Millis(state.pausedUntil * 1000) : nil,
                    updatedAt: Millis(now * 1000))
            }
        }
    }

    static func mainWindowIndex(_ windows: [WindowState]) -> Int? {
        windows.indices.filter { !windows[$0].window.writesOnly }.max { windows[$0].window.seconds < windows[$1].window.seconds }
    }

    static func integer(_ headers: HTTPHeaders, _ names: [String]) -> Int? {
        for name in names { if let value = headers[name].flatMap({ Int($0.trimmingASCIIWhitespace()) }) { return value } }
        return nil
    }

    static func double(_ headers: HTTPHeaders, _ names: [String]) -> Double? {
        for name in names { if let value = headers[name].flatMap({ Double($0.trimmingASCIIWhitespace()) }) { return value } }
        return nil
    }
}
