import Foundation
import SluiceDelivery
import SluiceDestinations
import Synchronization
import Testing

final class FakeClock: Sendable {
    let now = Mutex(1_700_000_000.0)
    func read() -> Double { now.withLock { $0 } }
    func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
}

@Suite struct RateLimiterTests {
    let window = RateLimitWindow(key: "perMinute", label: "requests per minute", limit: 3, seconds: 60)
    let writes = RateLimitWindow(key: "writesPer5s", label: "writes per 5 s", limit: 2, seconds: 5, writesOnly: true)

    @Test func neverSendsIntoAnExhaustedWindow() async throws {
        let clock = FakeClock()
        let limiter = RateLimiter(destination: .helpscout, windows: [window], documented: [window], clock: clock.read)
        for _ in 0..<3 { limiter.complete(try await limiter.acquire(isWrite: false)) }
        let waiting = Task { try await limiter.acquire(isWrite: false) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(limiter.snapshots().first?.remaining == 0)
        clock.advance(60)
        try await waiting.value
        #expect(limiter.snapshots().first?.remaining == 2)
    }

    @Test func writeWindowsCountOnlyWrites() async throws {
        let clock = FakeClock()
        let limiter = RateLimiter(destination: .helpscout, windows: [window.withLimit(100), writes], documented: [window, writes], clock: clock.read)
        for _ in 0..<10 { try await limiter.acquire(isWrite: false) }
        try await limiter.acquire(isWrite: true)
        try await limiter.acquire(isWrite: true)
        let snapshot = limiter.snapshots()
        #expect(snapshot.first { $0.window == "writesPer5s" }?.remaining == 0)
        #expect(snapshot.first { $0.window == "perMinute" }?.remaining == 88)
    }

    @Test func followsRemainingAndResetHeaders() async throws {
        let clock = FakeClock()
        let limiter = RateLimiter(destination: .intercom, windows: [window.withLimit(100)], documented: [window], clock: clock.read)
        limiter.observe(status: 200, headers: ["X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(Int(clock.read()) + 7)])
        let waiting = Task { try await limiter.acquire(isWrite: false) }
        try await Task.sleep(for: .milliseconds(50))
        clock.advance(8)
        try await waiting.value
    }

    @Test func aLowerLimitInTheHeadersWins() async throws {
        let clock = FakeClock()
        let limiter = RateLimiter(destination: .zendesk, windows: [window.withLimit(100)], documented: [window], clock: clock.read)
        limiter.observe(status: 200, headers: ["X-Rate-Limit": "2", "X-Rate-Limit-Remaining": "50"])
        limiter.complete(try await limiter.acquire(isWrite: false))
        limiter.complete(try await limiter.acquire(isWrite: false))
        #expect(limiter.snapshots().first?.headerLimit == 2)
        let waiting = Task { try await limiter.acquire(isWrite: false) }
        try await Task.sleep(for: .milliseconds(50))
        clock.advance(60)
        try await waiting.value
    }

    @Test func a429PausesUntilRetryAfter() async throws {
        let clock = FakeClock()
        let limiter = RateLimiter(destination: .zendesk, windows: [window.withLimit(100)], documented: [window], clock: clock.read)
        limiter.observe(status: 429, headers: ["Retry-After": "30"])
        let snapshot = try #require(limiter.snapshots().first)
        #expect(snapshot.recent429s == 1)
        #expect(snapshot.throttledUntil == Int64((clock.read() + 30) * 1000))
        let waiting = Task { try await limiter.acquire(isWrite: false) }
        try await Task.sleep(for: .milliseconds(50))
        clock.advance(31)
        try await waiting.value
    }

    @Test func operatorChangesApplyAtOnce() async throws {
        let clock = FakeClock()
        let limiter = RateLimiter(destination: .intercom, windows: [window.withLimit(100)], documented: [window], clock: clock.read)
        try await limiter.acquire(isWrite: false)
        limiter.update(windows: [window.withLimit(1)])
        #expect(limiter.snapshots().first?.remaining == 0)
        #expect(limiter.snapshots().first?.operatorLimit == 1)
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(baseDelay: 10, maxDelay: 300, maxAge: 3600)

    @Test(arguments: [(408, true), (423, true), (429, true), (500, true), (502, true), (503, true), (501, false), (400, false), (401, false), (404, false), (422, false)])
    func classifiesLikeThePeers(status: Int, retry: Bool) {
        #expect((policy.classify(status: status, destination: .zendesk, method: .POST) == .retry) == retry)
    }

    @Test func intercom409OnCreateIsRetryable() {
        #expect(policy.classify(status: 409, destination: .intercom, method: .POST) == .retry)
        #expect(policy.classify(status: 409, destination: .zendesk, method: .POST) == .final)
    }

    @Test func backoffIsExponentialWithFullJitterAndCapped() {
        #expect(policy.delay(afterAttempt: 1, random: 1) == 10)
        #expect(policy.delay(afterAttempt: 3, random: 1) == 40)
        #expect(policy.delay(afterAttempt: 3, random: 0.5) == 20)
        #expect(policy.delay(afterAttempt: 20, random: 1) == 300)
        #expect(policy.delay(afterAttempt: 2, random: 0) == 0)
    }

    @Test func stopsRetryingAtTheMaximumAge() {
        #expect(policy.allowsRetry(enqueuedAt: 0, now: 3599))
        #expect(!policy.allowsRetry(enqueuedAt: 0, now: 3600))
    }
}

/// A request still out when its window ends may land in the next one, so one sent within the
/// longest recent round trip of the boundary counts there too; one whose reply came back in
/// time, or that went out long before, does not.
@Suite struct RateLimiterWindowBoundaryTests {
    let window = RateLimitWindow(key: "per10s", label: "requests per 10 s", limit: 5, seconds: 10)

    func limiter(_ clock: FakeClock, _ windows: [RateLimitWindow]? = nil) -> RateLimiter {
        RateLimiter(destination: .intercom, windows: windows ?? [window], documented: windows ?? [window], clock: clock.read)
    }

    @Test func requestsOutJustBeforeTheBoundaryCountInTheNextWindow() async throws {
        let clock = FakeClock()
        let limiter = limiter(clock)
        clock.advance(9.99)
        let answered = try await limiter.acquire(isWrite: false)
        _ = try await limiter.acquire(isWrite: false)
        limiter.complete(answered)
        clock.advance(0.02)
        #expect(limiter.snapshots().first?.remaining == 4)
        _ = try await limiter.acquire(isWrite: false)
        #expect(limiter.snapshots().first?.remaining == 3)
    }

    @Test func requestsOutSinceLongBeforeTheBoundaryDoNot() async throws {
        let clock = FakeClock()
        let limiter = limiter(clock)
        clock.advance(1)
        for _ in 0..<3 { _ = try await limiter.acquire(isWrite: false) }
        clock.advance(9.5)
        _ = try await limiter.acquire(isWrite: false)
        #expect(limiter.snapshots().first?.remaining == 4)
    }

    @Test func theGuardFollowsTheLongestRecentTrip() async throws {
        let clock = FakeClock()
        let limiter = limiter(clock)
        let slow = try await limiter.acquire(isWrite: false)
        clock.advance(0.5)
        limiter.complete(slow)  // a half-second round trip
        clock.advance(9.2)
        _ = try await limiter.acquire(isWrite: false)  // 0.3 s before the boundary, still out after it
        clock.advance(0.35)
        #expect(limiter.snapshots().first?.remaining == 4)
    }

    @Test func aReplyAfterTheBoundaryStillCountsInTheNewWindow() async throws {
        let clock = FakeClock()
        let limiter = limiter(clock)
        clock.advance(9.99)
        let late = try await limiter.acquire(isWrite: false)
        clock.advance(0.2)
        limiter.complete(late)
        #expect(limiter.snapshots().first?.remaining == 4)
        clock.advance(10)
        #expect(limiter.snapshots().first?.remaining == 5)
    }

    @Test func writesOutAtTheBoundaryDoNotTouchTheReadWindow() async throws {
        let clock = FakeClock()
        let writes = RateLimitWindow(key: "writesPer5s", label: "writes per 5 s", limit: 2, seconds: 5, writesOnly: true)
        let limiter = limiter(clock, [window.withLimit(100), writes])
        clock.advance(9.99)
        _ = try await limiter.acquire(isWrite: true)
        let read = try await limiter.acquire(isWrite: false)
        limiter.complete(read)
        clock.advance(0.02)
        let snapshot = limiter.snapshots()
        #expect(snapshot.first { $0.window == "writesPer5s" }?.remaining == 1)
        #expect(snapshot.first { $0.window == "per10s" }?.remaining == 99)
    }
}
