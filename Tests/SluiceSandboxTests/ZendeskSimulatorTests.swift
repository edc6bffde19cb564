import Foundation
@testable import SluiceSandbox
import SluiceSpec
import Testing

@Suite struct ZendeskSimulatorTests {
    static func upsert(_ user: JSON) -> JSON { ["user": user] }

    @Test func createOrUpdateAnswers201ThenSearchFindsTheUserThen200Updates() async throws {
        try await withSandbox { harness in
            let created = try await harness.request(.POST, .zendesk, "/api/v2/users/create_or_update.json", json: Self.upsert([
                "email": "jane@acme.example", "name": "Jane Doe", "external_id": "u-1", "verified": true,
                "user_fields": ["plan": "growth"],
            ]))
            #expect(created.status == 201)
            let id = try #require(created.json?["user"]?["id"]?.integerValue)
            #expect(created.json?["user"]?["role"] == "end-user")

            let byEmail = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?query=" + PercentEncoding.encode("email:jane@acme.example"))
            #expect(byEmail.status == 200)
            #expect(byEmail.json?["users"]?.arrayValue?.map { $0["id"]?.integerValue } == [id])
            #expect(byEmail.json?["count"] == 1)
            let byExternalId = try await harness.request(.GET, .zendesk, "/api/v2/users/search.json?external_id=u-1")
            #expect(byExternalId.json?["users"]?.arrayValue?.count == 1)

            let updated = try await harness.request(.POST, .zendesk, "/api/v2/users/create_or_update.json", json: Self.upsert([
                "email": "jane@acme.example", "name": "Jane Q. Doe", "user_fields": ["seats": 5],
            ]))
            #expect(updated.status == 200)
            #expect(updated.json?["user"]?["id"]?.integerValue == id)
            #expect(updated.json?["user"]?["name"] == "Jane Q. Doe")
            #expect(updated.json?["user"]?["user_fields"] == ["plan": "growth", "seats": 5])
            #expect(harness.sandbox.state(of: .zendesk)["users"]?.arrayValue?.count == 1)
        }
    }

    @Test func aNewUserWithoutANameIs422RecordInvalid() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.POST, .zendesk, "/api/v2/users/create_or_update.json",
                                                  json: Self.upsert(["email": "noname@acme.example"]))
            #expect(reply.status == 422)
            #expect(reply.json?["error"] == "RecordInvalid")
            #expect(reply.json?["description"] == "Record validation errors")
            #expect(reply.json?["details"]?["name"]?[0]?["error"] == "BlankValue")
        }
    }

    @Test func createOrUpdateWithoutEmailOrExternalIdIs422() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.POST, .zendesk, "/api/v2/users/create_or_update.json", json: Self.upsert(["name": "Nobody"]))
            #expect(reply.status == 422)
            #expect(reply.json?["details"]?["email"] != nil)
        }
    }

    @Test func organizationsUpsertByExternalIdAndMembershipsRejectDuplicates() async throws {
        try await withSandbox { harness in
            let user = try await harness.request(.POST, .zendesk, "/api/v2/users/create_or_update.json",
                                                 json: Self.upsert(["email": "jane@acme.example", "name": "Jane", "external_id": "u-1"]))
            let userId = try #require(user.json?["user"]?["id"])
            let organization = try await harness.request(.POST, .zendesk, "/api/v2/organizations/create_or_update.json", json: [
                "organization": ["external_id": "grp-1", "name": "Acme", "domain_names": ["acme.example"]],
            ])
            #expect(organization.status == 201)
            let organizationId = try #require(organization.json?["organization"]?["id"])

            let renamed = try await harness.request(.POST, .zendesk, "/api/v2/organizations/create_or_update.json",
                                                    json: ["organization": ["external_id": "grp-1", "name": "Acme Corp"]])
            #expect(renamed.status == 200)
            #expect(renamed.json?["organization"]?["id"] == organizationId)
            let found = try await harness.request(.GET, .zendesk, "/api/v2/organizations/search.json?external_id=grp-1")
            #expect(found.json?["organizations"]?[0]?["name"] == "Acme Corp")

            let membership: JSON = ["organization_membership": ["user_id": userId, "organization_id": organizationId]]
            let first = try await harness.request(.POST, .zendesk, "/api/v2/organization_memberships.json", json: membership)
            #expect(first.status == 201)
            #expect(first.json?["organization_membership"]?["default"] == true)
            let duplicate = try await harness.request(.POST, .zendesk, "/api/v2/organization_memberships.json", json: membership)
            #expect(duplicate.status == 422)
            #expect(duplicate.json?["details"]?["user_id"]?[0]?["error"] == "DuplicateValue")
            #expect(duplicate.text.contains("already"))
        }
    }

    @Test func aNewOrganizationNeedsAUniqueName() async throws {
        try await withSandbox { harness in
            let nameless = try await harness.request(.POST, .zendesk, "/api/v2/organizations/create_or_update.json",
                                                     json: ["organization": ["external_id": "grp-9"]])
            #expect(nameless.status == 422)
            #expect(nameless.json?["details"]?["name"]?[0]?["error"] == "BlankValue")
            _ = try await harness.request(.POST, .zendesk, "/api/v2/organizations/create_or_update.json",
                                          json: ["organization": ["external_id": "a", "name": "Acme"]])
            let taken = try await harness.request(.POST, .zendesk, "/api/v2/organizations/create_or_update.json",
                                                  json: ["organization": ["external_id": "b", "name": "acme"]])
            #expect(taken.status == 422)
            #expect(taken.json?["details"]?["name"]?[0]?["error"] == "DuplicateValue")
        }
    }

    @Test func basicAuthAcceptsPasswordAndTokenLoginsOnly() async throws {
        try await withSandbox { harness in
            let credentials = harness.credentials
            let path = "/api/v2/users/search.json?query=jane"
            let token = SandboxHarness.basic(credentials.zendeskEmail + "/token", credentials.zendeskAPIToken)
            #expect(try await harness.request(.GET, .zendesk, path, auth: .header(token)).status == 200)
            let wrong = try await harness.request(.GET, .zendesk, path, auth: .header(SandboxHarness.basic(credentials.zendeskEmail, "nope")))
            #expect(wrong.status == 401)
            #expect(wrong.json == ["error": "Couldn't authenticate you"])
            let tokenAsPassword = SandboxHarness.basic(credentials.zendeskEmail, credentials.zendeskAPIToken)
            #expect(try await harness.request(.GET, .zendesk, path, auth: .header(tokenAsPassword)).status == 401)
        }
    }

    @Test func pathsWorkWithAndWithoutTheJsonSuffix() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.GET, .zendesk, "/api/v2/users/search?query=x")
            #expect(reply.status == 200)
            #expect(harness.sandbox.stats(for: .zendesk).count("GET", "/api/v2/users/search.json") == 1)
        }
    }
}
