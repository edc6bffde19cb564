import Synchronization
@testable import SluiceDelivery
import SluiceDestinations
import SluiceStore
import Testing

@Suite struct RoutingBatchTests {
    static func identify(_ id: Int64) -> StoredEvent {
        let payload = #"{"type":"identify","userId":"u\#(id)","messageId":"m\#(id)","traits":{"email":"u\#(id)@example.com"}}"#
        return StoredEvent(id: id, record: EventRecord(source: "web", messageId: "m\(id)", type: .identify, userId: "u\(id)",
                                                        anonymousId: nil, receivedAt: 1, payload: Array(payload.utf8)))
    }

    /// The router makes its batch, then waits for the store's read; a destination enabled in
    /// that wait must route what the read found, or an event stored after the change is skipped.
    @Test func settingsAreReadWhenTheFirstEventIsDecidedNotWhenTheBatchIsMade() {
        let enabled = Mutex<[DestinationID]>([])
        let batch = RoutingBatch { enabled.withLock { $0 } }
        enabled.withLock { $0 = [.intercom] }
        #expect(batch.decide(Self.identify(1)) == [.enqueue(destination: "intercom", lane: "user:u1")])
        // One batch, one view of the settings: a change mid-batch waits for the next batch.
        enabled.withLock { $0 = [] }
        #expect(batch.decide(Self.identify(2)) == [.enqueue(destination: "intercom", lane: "user:u2")])
        #expect(batch.parsedEvents().keys.sorted() == [1, 2])
    }
}
