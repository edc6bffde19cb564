import Foundation
import Synchronization

/// How a destination behaves while it is down.
public enum OutageMode: String, Sendable, CaseIterable {
    /// The connection is closed without an answer, as a crashed server or a reset looks.
    case closeConnection = "close"
    /// The request is never answered; the client's timeout decides. The connection is closed
    /// when the outage ends.
    case noAnswer = "hang"
    /// 503 with the API's error body.
    case serviceUnavailable = "503"
}

/// Faults to inject into one destination. Durations start when the settings are applied.
public struct FaultSettings: Sendable, Equatable {
    /// The share of requests (0...1) answered with a random status from `errorStatuses`.
    public var errorRate: Double
    public var errorStatuses: [Int]
    /// Fixes the sequence of injected errors and jitter; nil draws a fresh seed.
    public var seed: UInt64?
    /// Added before every answer: `latency` plus a uniform random part up to `jitter`.
    public var latency: Duration
    public var jitter: Duration
    public var outage: OutageMode?
    /// How long the outage lasts; nil until it is cleared.
    public var outageDuration: Duration?
    /// While it lasts, every request gets the API's 429.
    public var rateLimitStorm: Duration?

    public init(errorRate: Double = 0, errorStatuses: [Int] = [500, 502, 503], seed: UInt64? = nil,
                latency: Duration = .zero, jitter: Duration = .zero,
                outage: OutageMode? = nil, outageDuration: Duration? = nil, rateLimitStorm: Duration? = nil) {
        self.errorRate = errorRate
        self.errorStatuses = errorStatuses
        self.seed = seed
        self.latency = latency
        self.jitter = jitter
        self.outage = outage
        self.outageDuration = outageDuration
        self.rateLimitStorm = rateLimitStorm
    }

    public static let none = FaultSettings()
}

/// The faults in force for one destination, with their deadlines on the sandbox clock.
final class FaultInjector: Sendable {
    struct Active {
        var settings = FaultSettings.none
        var outageUntil: Date?
        var stormUntil: Date?
        var random = SeededRandom.unseeded()
    }

    private let state = Mutex(Active())

    func apply(_ settings: FaultSettings, now: Date) {
        state.withLock { active in
            active.settings = settings
            active.outageUntil = settings.outageDuration.map { now.addingTimeInterval($0.seconds) }
            active.stormUntil = settings.rateLimitStorm.map { now.addingTimeInterval($0.seconds) }
            active.random = settings.seed.map(SeededRandom.init(seed:)) ?? .unseeded()
        }
    }

    var settings: FaultSettings { state.withLock { $0.settings } }

    /// The outage in force now; an outage whose time is up is cleared.
    func outage(at now: Date) -> OutageMode? {
        state.withLock { active in
            guard let mode = active.settings.outage else { return nil }
            if let until = active.outageUntil, now >= until {
                active.settings.outage = nil
                active.settings.outageDuration = nil
                active.outageUntil = nil
                return nil
            }
            return mode
        }
    }

    /// When the 429 storm in force ends, or nil when there is none.
    func stormEnd(at now: Date) -> Date? {
        state.withLock { active in
            guard let until = active.stormUntil else { return nil }
            if now >= until {
                active.stormUntil = nil
                active.settings.rateLimitStorm = nil
                return nil
            }
            return until
        }
    }

    func delay() -> Duration {
        state.withLock { active in
            let settings = active.settings
            guard settings.jitter > .zero else { return settings.latency }
            return settings.latency + settings.jitter * active.random.unit()
        }
    }

    /// The status of an injected error for this request, or nil to answer normally.
    func injectedErrorStatus() -> Int? {
        state.withLock { active in
            let settings = active.settings
            guard settings.errorRate > 0, !settings.errorStatuses.isEmpty else { return nil }
            guard active.random.unit() < settings.errorRate else { return nil }
            let index = Int(active.random.next() % UInt64(settings.errorStatuses.count))
            return settings.errorStatuses[index]
        }
    }

    /// Deadlines as they stand, for the control API.
    func deadlines() -> (outageUntil: Date?, stormUntil: Date?) {
        state.withLock { ($0.outageUntil, $0.stormUntil) }
    }
}
