@testable import SluiceSandbox
import SluiceSpec
import Testing

/// A long demo must not keep every event: the simulators keep the newest and count the rest.
@Suite struct RecentEventsTests {
    @Test func keepsTheNewestInOrderAndCountsWhatItLetGo() {
        var log = RecentEvents<Int>(capacity: 3)
        for n in 1...2 { log.append(n) }
        #expect(Array(log.elements) == [1, 2])
        #expect(log.dropped == 0)
        for n in 3...10 { log.append(n) }
        #expect(Array(log.elements) == [8, 9, 10])
        #expect(log.count == 3)
        #expect(log.dropped == 7)
    }

    @Test func intercomKeepsItsNewestEventsAndSaysHowManyWentAndListsOnlyThoseKept() async throws {
        var options = SimulatorOptions()
        options.eventLogCapacity = 2
        try await withSandbox(options: options) { harness in
            _ = try await IntercomSimulatorTests.createUser(harness, "u-1")
            for name in ["First", "Second", "Third"] {
                let reply = try await harness.request(.POST, .intercom, "/events", json: IntercomSimulatorTests.event(name))
                #expect(reply.status == 202)
            }
            let state = harness.sandbox.state(of: .intercom)
            #expect(state["events"]?.arrayValue?.map { $0["event_name"] } == ["Second", "Third"])
            #expect(state["eventsDropped"] == 1)
            let listed = try await harness.request(.GET, .intercom, "/events?type=user&user_id=u-1")
            #expect(listed.json?["events"]?.arrayValue?.count == 2)
        }
    }

    @Test func clientSuccessKeepsItsNewestEvents() async throws {
        var options = SimulatorOptions()
        options.eventLogCapacity = 1
        try await withSandbox(options: options) { harness in
            for name in ["Signed In", "Order Completed"] {
                let reply = try await harness.request(.POST, .clientsuccess, ClientSuccessSimulatorTests.path(harness, "events/" + PercentEncoding.encode(name)),
                                                      json: ["identity": ClientSuccessSimulatorTests.identity, "value": 1])
                #expect(reply.status == 200)
            }
            let state = harness.sandbox.state(of: .clientsuccess)
            #expect(state["events"]?.arrayValue?.map { $0["event"] } == ["Order Completed"])
            #expect(state["eventsDropped"] == 1)
        }
    }
}
