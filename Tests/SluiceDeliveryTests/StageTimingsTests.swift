import Foundation
@testable import SluiceDelivery
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Testing

/// Where a delivery's time goes: the HTTP exchange is measured apart from the engine's own work
/// and from the wait for the outcome's commit.
@Suite struct StageTimingsTests {
    /// Answers like `FakeIntercom`, each reply 30 ms late.
    final class SlowAPI: HTTPTransport, Sendable {
        let api = FakeIntercom()
        func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse {
            try await Task.sleep(for: .milliseconds(30))
            return try await api.send(request, timeout: timeout)
        }
    }

    @Test func averagesEachStageAndStartsAfreshAfterTaking() {
        let timings = StageTimings()
        timings.record(queued: .milliseconds(1), engine: .milliseconds(2), exchange: .milliseconds(10))
        timings.recordCommit(.milliseconds(3))
        timings.record(queued: .milliseconds(3), engine: .milliseconds(4), exchange: .milliseconds(20))
        timings.recordCommit(.milliseconds(5))
        let averages = timings.take()
        #expect(averages.deliveries == 2)
        #expect(abs(averages.queuedMs - 2) < 1e-9 && abs(averages.engineMs - 3) < 1e-9)
        #expect(abs(averages.exchangeMs - 15) < 1e-9 && abs(averages.commitMs - 4) < 1e-9)
        #expect(abs(averages.totalMs - 24) < 1e-9)
        #expect(averages.description == "queued 2.00 ms, engine 3.00 ms, HTTP 15.00 ms, commit 4.00 ms (2 deliveries)")
        #expect(timings.take().deliveries == 0)
    }

    @Test func theEngineCountsTheExchangeAsHTTPTime() async throws {
        let store = try temporaryStore()
        try await save(store, "intercom", intercomSettings())
        try await ingest(store, [identify("u1", "i1"), track("u1", "t1"), track("u1", "t2")])
        let api = SlowAPI()
        let engine = try await DeliveryEngine(store: store, transport: api, options: fastRetries())
        let delivered = try await runEngine(engine) { api.api.state.withLock { $0.events.count } == 2 && engine.isIdle }
        #expect(delivered)
        let averages = engine.stageTimings.take()
        #expect(averages.deliveries == 3)
        // Every delivery makes at least one 30 ms exchange; the engine's own part is not charged with it.
        #expect(averages.exchangeMs >= 29)
        #expect(averages.engineMs >= 0 && averages.engineMs < averages.exchangeMs)
        #expect(averages.queuedMs >= 0 && averages.commitMs >= 0)
    }
}
