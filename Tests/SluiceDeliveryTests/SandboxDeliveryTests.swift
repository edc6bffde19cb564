import Foundation
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceSpec
import SluiceStore
import Testing

/// Events flow from the store through the engine to the sandbox, and the sandbox's final state
/// follows the rules of each destination's doc.
/// The sandbox suites run one after another: each measures behaviour under load.
@Suite(.serialized) struct SandboxAcceptance {}

extension SandboxAcceptance {
@Suite(.serialized) struct SandboxDeliveryTests {
    @Test func finalStateFollowsTheDocs() async throws {
        let rig = try await SandboxRig.start(scale: 20)
        defer { Task { await rig.stop() } }
        try await ingest(rig.store, [
            // Help Scout: two users identify with one new email at once: one customer.
            call("identify", "u1", "hs1", ["traits": ["email": "shared@example.com", "name": "Ada One"]]),
            call("identify", "u2", "hs2", ["traits": ["email": "shared@example.com", "name": "Ada Two"]]),
            // ClientSuccess: a track before the user's group is held, then released by the group.
            // (Intercom would reject a track before the identify; that rule has its own test.)
            call("track", "u3", "cs1", ["event": "Report Run", "integrations": ["Intercom": false]]),
            call("identify", "u3", "id3", ["traits": ["email": "u3@example.com", "name": "Grace Hopper", "company": ["id": "acme", "name": "Acme"]]]),
            call("group", "u3", "g3", ["groupId": "acme", "traits": ["name": "Acme", "url": "https://acme.example"]]),
        ])
        let engine = try await rig.engine()
        let done = try await runEngine(engine) {
            guard engine.isIdle, !rig.objects(.clientsuccess, "events").isEmpty else { return false }
            return try await rig.store.jobs(states: [.queued], destination: nil).isEmpty
        }
        #expect(done)
        // Users who never joined a group stay held at ClientSuccess, where data needs a group.
        let held = try await rig.store.jobs(states: [.held], destination: nil)
        #expect(held.map(\.lane).sorted() == ["user:u1", "user:u2"])
        let customers = rig.objects(.helpscout, "customers").filter { $0.description.contains("shared@example.com") }
        #expect(customers.count == 1, "one Help Scout customer per email")
        #expect(!rig.objects(.zendesk, "organization_memberships").isEmpty, "the group call links the user to the organization")
        let contact = try #require(rig.objects(.intercom, "contacts").first { $0["external_id"] == "u3" })
        #expect(contact["companies"]?["data"]?.arrayValue?.count == 1, "the identify's company is attached")
        let events = rig.objects(.clientsuccess, "events")
        #expect(events.count == 1, "the held track was delivered after the group call")
        let dead = try await rig.store.deadLetters(DeadLetterFilter())
        #expect(dead.isEmpty, "\(dead.map { "\($0.destination) \($0.type) \($0.lastStatus ?? 0) \($0.lastError ?? "")" })")
    }

    @Test func everyIdentifyLandsBeforeItsUsersTracksUnderLatencyAndFailures() async throws {
        let rig = try await SandboxRig.start(scale: 100, enabled: [.intercom], faults: [
            .intercom: FaultSettings(errorRate: 0.2, errorStatuses: [500, 502, 503], seed: 7, latency: .milliseconds(1), jitter: .milliseconds(4)),
        ])
        defer { Task { await rig.stop() } }
        var calls: [JSON] = []
        for user in 0..<1_000 {
            calls.append(call("identify", "user-\(user)", "i\(user)", ["traits": ["email": .string("user-\(user)@example.com"), "name": "User"]]))
            calls.append(call("track", "user-\(user)", "a\(user)", ["event": "Opened"]))
            calls.append(call("track", "user-\(user)", "b\(user)", ["event": "Closed"]))
        }
        try await ingest(rig.store, calls)
        let engine = try await rig.engine(maxInFlight: 64)
        let done = try await runEngine(engine, timeout: .seconds(120)) { rig.objects(.intercom, "events").count >= 2_000 && engine.isIdle }
        #expect(done)
        let stats = rig.sandbox.stats(for: .intercom)
        #expect(stats.count("POST", "/events", status: 404) == 0, "never a track for an unknown user")
        #expect(rig.objects(.intercom, "events").count == 2_000)
        #expect(rig.objects(.intercom, "contacts").count == 1_000)
        #expect(try await rig.store.deadLetters(DeadLetterFilter()).isEmpty)
    }

    @Test func anOutageDelaysButLosesNothingAndDuplicatesNothing() async throws {
        let rig = try await SandboxRig.start(scale: 50, enabled: [.zendesk])
        defer { Task { await rig.stop() } }
        rig.sandbox.setFaults(FaultSettings(outage: .serviceUnavailable), for: .zendesk)
        try await ingest(rig.store, (0..<50).map { call("identify", "z\($0)", "z\($0)", ["traits": ["email": .string("z\($0)@example.com"), "name": "Zed"]]) })
        let engine = try await rig.engine()
        let task = Task { try await engine.run() }
        defer { task.cancel() }
        try await Task.sleep(for: .seconds(1))
        #expect(rig.objects(.zendesk, "users").isEmpty)
        rig.sandbox.clearFaults(for: .zendesk)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, !(engine.isIdle && rig.objects(.zendesk, "users").count == 50) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let users = rig.objects(.zendesk, "users")
        #expect(users.count == 50)
        #expect(Set(users.compactMap { $0["email"]?.stringValue }).count == 50, "each user exactly once")
        #expect(try await rig.store.deadLetters(DeadLetterFilter()).isEmpty, "nothing retryable is dead-lettered")
        #expect(engine.stats.totals()["zendesk"]?.retried ?? 0 > 0)
    }

    @Test func badSettingsDeadLetterWithTheAPIsMessageAndReplayDeliversAfterTheFix() async throws {
        let rig = try await SandboxRig.start(scale: 20, enabled: [])
        defer { Task { await rig.stop() } }
        var wrong = rig.settings()[.intercom]!
        wrong["apiKey"] = .string(String(repeating: "x", count: 40))
        try await save(rig.store, "intercom", wrong)
        try await ingest(rig.store, [call("identify", "u9", "i9", ["traits": ["email": "u9@example.com"]])])
        let engine = try await rig.engine()
        let task = Task { try await engine.run() }
        defer { task.cancel() }
        var dead: [Job] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline, dead.isEmpty {
            dead = try await rig.store.deadLetters(DeadLetterFilter(destination: "intercom"))
            try await Task.sleep(for: .milliseconds(50))
        }
        let letter = try #require(dead.first)
        #expect(letter.lastStatus == 401)
        #expect(letter.lastError?.contains("unauthorized") == true || letter.lastError?.contains("Unauthorized") == true, "the API's own message: \(letter.lastError ?? "")")
        #expect(letter.lastResponse?.contains(String(repeating: "x", count: 40)) != true)

        try await save(rig.store, "intercom", rig.settings()[.intercom]!)
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await rig.store.replayDeadLetters(DeadLetterFilter(), now: Date().millis).count == 1)
        let delivered = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < delivered, rig.objects(.intercom, "contacts").isEmpty {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(rig.objects(.intercom, "contacts").count == 1)
    }
}
}
