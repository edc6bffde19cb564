import Foundation
import Synchronization

/// The time the simulators see: rate-limit windows, token expiry, outage and storm deadlines.
/// Tests inject a `ManualClock` so a window can pass without sleeping.
public protocol SandboxClock: Sendable {
    var now: Date { get }
}

public struct SystemClock: SandboxClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that moves only when told to.
public final class ManualClock: SandboxClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func advance(by seconds: Double) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}

extension Duration {
    /// The duration in seconds, for comparing with clock dates.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
