import Foundation
@testable import SluiceSandbox
import SluiceSpec
import Testing

@Suite struct ClientSuccessSimulatorTests {
    static let identity: JSON = [
        "organization": ["id": "grp-1", "name": "Acme"],
        "user": ["id": "u-1", "name": "Jane Doe", "email": "jane@acme.example"],
    ]

    static func path(_ harness: SandboxHarness, _ rest: String) -> String {
        "/collector/1.0.0/projects/\(harness.credentials.clientSuccessProjectId)/" + rest
    }

    @Test func eventsIdentifyAndGroupAreStored() async throws {
        try await withSandbox { harness in
            let group = try await harness.request(.POST, .clientsuccess, Self.path(harness, "group"),
                                                  json: ["identity": Self.identity, "attributes": ["plan": "growth"]])
            #expect(group.status == 200)
            #expect(group.json == ["created": true])
            let identify = try await harness.request(.POST, .clientsuccess, Self.path(harness, "identify"),
                                                     json: ["identity": Self.identity, "attributes": ["logins": 4]])
            #expect(identify.json == ["created": true])
            let event = try await harness.request(.POST, .clientsuccess, Self.path(harness, "events/" + PercentEncoding.encode("Order Completed")),
                                                  json: ["identity": Self.identity, "value": 1])
            #expect(event.json == ["created": true])

            let state = harness.sandbox.state(of: .clientsuccess)
            #expect(state["organizations"]?[0]?["attributes"] == ["plan": "growth"])
            #expect(state["users"]?[0]?["organizationId"] == "grp-1")
            #expect(state["users"]?[0]?["attributes"] == ["logins": 4])
            #expect(state["events"]?[0]?["event"] == "Order Completed")
        }
    }

    @Test func anIncompleteIdentityIs422CreatedFalse() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.POST, .clientsuccess, Self.path(harness, "events/Signed%20In"),
                                                  json: ["identity": ["organization": ["id": "grp-1"]], "value": 1])
            #expect(reply.status == 422)
            #expect(reply.json?["created"] == false)
            #expect(reply.json?["message"]?.stringValue?.contains("organization.name") == true)
        }
    }

    @Test func theApiKeyAndProjectAreChecked() async throws {
        try await withSandbox { harness in
            let path = Self.path(harness, "events/x")
            let missing = try await harness.request(.POST, .clientsuccess, path, json: ["identity": Self.identity], auth: .none)
            #expect(missing.status == 401)
            #expect(missing.json?["created"] == false)
            let wrong = try await harness.request(.POST, .clientsuccess, path + "?api_key=nope", json: ["identity": Self.identity], auth: .none)
            #expect(wrong.status == 401)
            let otherProject = try await harness.request(.POST, .clientsuccess, "/collector/1.0.0/projects/other/events/x",
                                                         json: ["identity": Self.identity])
            #expect(otherProject.status == 404)
        }
    }
}
