import Foundation
import SluiceDelivery
import SluiceDestinations
import SluiceSandbox
import SluiceSpec
import Testing

extension SandboxAcceptance {
/// What the inspector shows of real exchanges with all four APIs: the URL, headers and bodies
/// of every attempt, with no credential in any form.
@Suite(.serialized) struct AttemptRedactionTests {
    @Test func recordedAttemptsHoldNoCredentialOfAnyDestination() async throws {
        let rig = try await SandboxRig.start(scale: 20)
        defer { Task { await rig.stop() } }
        try await ingest(rig.store, [
            call("identify", "u1", "r1", ["traits": ["email": "u1@example.com", "name": "Ada Lovelace"]]),
            call("group", "u1", "r2", ["groupId": "acme", "traits": ["name": "Acme"]]),
            call("track", "u1", "r3", ["event": "Report Run"]),
        ])
        let engine = try await rig.engine()
        let done = try await runEngine(engine) {
            guard engine.isIdle, !rig.objects(.clientsuccess, "events").isEmpty,
                  try await rig.store.jobs(states: [.queued], destination: nil).isEmpty else { return false }
            // Attempt records reach the store on the engine's flush.
            let recorded = try await rig.store.attempts(destination: nil, limit: 100, beforeId: nil)
            return Set(recorded.map(\.destination)).count == 4 && recorded.contains { $0.destination == "clientsuccess" && $0.url.contains("/events/") }
        }
        #expect(done)
        let attempts = try await rig.store.attempts(destination: nil, limit: 100, beforeId: nil)
        #expect(Set(attempts.map(\.destination)) == ["helpscout", "zendesk", "clientsuccess", "intercom"])
        let credentials = rig.sandbox.credentials
        let secrets = [credentials.helpScoutAPIKey, credentials.zendeskPassword, credentials.intercomAccessToken, credentials.clientSuccessAPIKey,
                       Data((credentials.zendeskEmail + ":" + credentials.zendeskPassword).utf8).base64EncodedString()]
        for attempt in attempts {
            let shown = ([attempt.url, attempt.requestBody, attempt.responseBody]
                + (attempt.requestHeaders + attempt.responseHeaders).map { $0.0 + ": " + $0.1 }).joined(separator: "\n")
            for secret in secrets {
                #expect(!shown.contains(secret), "\(attempt.destination) \(attempt.method) \(attempt.url) shows a credential")
            }
        }
        let collector = try #require(attempts.first { $0.destination == "clientsuccess" })
        #expect(collector.url.contains("api_key=" + Secret(credentials.clientSuccessAPIKey).masked))
    }
}
}
