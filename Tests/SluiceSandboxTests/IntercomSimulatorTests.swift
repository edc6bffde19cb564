import Foundation
@testable import SluiceSandbox
import SluiceSpec
import Testing

@Suite struct IntercomSimulatorTests {
    /// The search the Intercom mapping sends.
    static func search(_ field: String, _ value: String) -> JSON {
        ["query": ["field": .string(field), "operator": "=", "value": .string(value)]]
    }

    static func createUser(_ harness: SandboxHarness, _ externalId: String, email: String? = nil) async throws -> String {
        var body: JSONObject = ["role": "user", "external_id": .string(externalId), "name": "Jane Doe"]
        if let email { body["email"] = .string(email) }
        let reply = try await harness.request(.POST, .intercom, "/contacts", json: .object(body))
        #expect(reply.status == 200)
        return try #require(reply.json?["id"]?.stringValue)
    }

    static func event(_ name: String, userId: String = "u-1", metadata: JSON? = nil) -> JSON {
        var body: JSONObject = ["event_name": .string(name), "created_at": 1_700_000_000, "user_id": .string(userId)]
        if let metadata { body["metadata"] = metadata }
        return .object(body)
    }

    @Test func createdContactsAreFoundByExternalIdAndEmailAndUpdated() async throws {
        try await withSandbox { harness in
            let id = try await Self.createUser(harness, "u-1", email: "Jane@Acme.example")
            let byExternalId = try await harness.request(.POST, .intercom, "/contacts/search", json: Self.search("external_id", "u-1"))
            #expect(byExternalId.status == 200)
            #expect(byExternalId.json?["type"] == "list")
            #expect(byExternalId.json?["total_count"] == 1)
            #expect(byExternalId.json?["data"]?[0]?["id"]?.stringValue == id)
            let byEmail = try await harness.request(.POST, .intercom, "/contacts/search", json: Self.search("email", "jane@acme.example"))
            #expect(byEmail.json?["data"]?[0]?["id"]?.stringValue == id)

            let updated = try await harness.request(.PUT, .intercom, "/contacts/" + id, json: [
                "name": "Jane Q. Doe", "signed_up_at": 1_690_000_000, "custom_attributes": ["plan": "growth"],
            ])
            #expect(updated.status == 200)
            #expect(updated.json?["name"] == "Jane Q. Doe")
            #expect(updated.json?["custom_attributes"]?["plan"] == "growth")
            #expect(updated.json?["external_id"] == "u-1")
            #expect(try await harness.request(.PUT, .intercom, "/contacts/nope", json: ["name": "x"]).status == 404)
        }
    }

    @Test func compoundSearchQueriesWork() async throws {
        try await withSandbox { harness in
            _ = try await Self.createUser(harness, "u-1", email: "a@acme.example")
            _ = try await Self.createUser(harness, "u-2", email: "b@acme.example")
            let reply = try await harness.request(.POST, .intercom, "/contacts/search", json: [
                "query": ["operator": "OR", "value": [
                    ["field": "external_id", "operator": "=", "value": "u-1"],
                    ["field": "email", "operator": "=", "value": "b@acme.example"],
                ]],
            ])
            #expect(reply.json?["total_count"] == 2)
            let bad = try await harness.request(.POST, .intercom, "/contacts/search", json: ["query": ["field": "email", "operator": "LIKE", "value": "x"]])
            #expect(bad.status == 400)
            #expect(bad.json?["type"] == "error.list")
        }
    }

    @Test func creatingAnExistingExternalIdIs409() async throws {
        try await withSandbox { harness in
            let id = try await Self.createUser(harness, "u-1")
            let reply = try await harness.request(.POST, .intercom, "/contacts", json: ["role": "user", "external_id": "u-1"])
            #expect(reply.status == 409)
            #expect(reply.json?["errors"]?[0]?["code"] == "conflict")
            #expect(reply.json?["errors"]?[0]?["message"]?.stringValue?.contains(id) == true)
        }
    }

    @Test func searchLagsBehindCreatesWhenConfigured() async throws {
        var options = SimulatorOptions()
        options.intercomSearchIndexLag = .seconds(2)
        try await withSandbox(options: options) { harness in
            _ = try await Self.createUser(harness, "u-1")
            let early = try await harness.request(.POST, .intercom, "/contacts/search", json: Self.search("external_id", "u-1"))
            #expect(early.json?["total_count"] == 0)
            harness.clock.advance(by: 3)
            let later = try await harness.request(.POST, .intercom, "/contacts/search", json: Self.search("external_id", "u-1"))
            #expect(later.json?["total_count"] == 1)
        }
    }

    @Test func eventsAnswer202WithAnEmptyBodyAndAreStored() async throws {
        try await withSandbox { harness in
            _ = try await Self.createUser(harness, "u-1")
            let reply = try await harness.request(.POST, .intercom, "/events", json: Self.event("Order Completed", metadata: [
                "price": ["amount": 1999, "currency": "usd"],
                "order": ["url": "https://shop.example/o/1", "value": "Order 1"],
                "items": 3,
            ]))
            #expect(reply.status == 202)
            #expect(reply.body.isEmpty)
            let events = harness.sandbox.state(of: .intercom)["events"]?.arrayValue
            #expect(events?.count == 1)
            #expect(events?.first?["event_name"] == "Order Completed")
            let listed = try await harness.request(.GET, .intercom, "/events?type=user&user_id=u-1")
            #expect(listed.json?["events"]?.arrayValue?.count == 1)
        }
    }

    @Test func eventsOfUnknownUsersAre404() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.POST, .intercom, "/events", json: Self.event("Signed In", userId: "ghost"))
            #expect(reply.status == 404)
            #expect(reply.json?["type"] == "error.list")
            #expect(reply.json?["errors"]?[0]?["code"] == "not_found")
            #expect(reply.json?["request_id"]?.stringValue?.isEmpty == false)
        }
    }

    @Test(arguments: [
        ["address": ["city": "Oslo"]],
        ["tags": ["a", "b"]],
        ["price": ["amount": "19.99", "currency": "usd"]],
        ["link": ["url": "https://x.example", "value": "x", "extra": 1]],
    ] as [JSON])
    func nestedMetadataIs422(_ metadata: JSON) async throws {
        try await withSandbox { harness in
            _ = try await Self.createUser(harness, "u-1")
            let reply = try await harness.request(.POST, .intercom, "/events", json: Self.event("Signed In", metadata: metadata))
            #expect(reply.status == 422)
            #expect(reply.json?["type"] == "error.list")
        }
    }

    @Test func the121stDistinctEventNameIs422() async throws {
        try await withSandbox { harness in
            _ = try await Self.createUser(harness, "u-1")
            for index in 0..<120 {
                let reply = try await harness.request(.POST, .intercom, "/events", json: Self.event("event-\(index)"))
                #expect(reply.status == 202)
            }
            let known = try await harness.request(.POST, .intercom, "/events", json: Self.event("EVENT-7"))
            #expect(known.status == 202, "names count case-insensitively, so this is not new")
            let extra = try await harness.request(.POST, .intercom, "/events", json: Self.event("event-120"))
            #expect(extra.status == 422)
            #expect(extra.json?["errors"]?[0]?["message"]?.stringValue?.contains("can't have more than 120 active events") == true)
        }
    }

    @Test func companiesAreSavedFoundAttachedAndDetached() async throws {
        try await withSandbox { harness in
            let contactId = try await Self.createUser(harness, "u-1")
            let saved = try await harness.request(.POST, .intercom, "/companies", json: [
                "company_id": "grp-1", "name": "Acme", "plan": "growth", "monthly_spend": 490,
            ])
            #expect(saved.status == 200)
            #expect(saved.json?["type"] == "company")
            #expect(saved.json?["plan"]?["name"] == "growth")
            let companyId = try #require(saved.json?["id"]?.stringValue)
            let again = try await harness.request(.POST, .intercom, "/companies", json: ["company_id": "grp-1", "monthly_spend": 980])
            #expect(again.json?["id"]?.stringValue == companyId)
            #expect(again.json?["name"] == "Acme")
            #expect(again.json?["monthly_spend"] == 980)

            let found = try await harness.request(.GET, .intercom, "/companies?company_id=grp-1")
            #expect(found.json?["id"]?.stringValue == companyId)
            let missing = try await harness.request(.GET, .intercom, "/companies?company_id=nope")
            #expect(missing.status == 404)
            #expect(missing.json?["errors"]?[0]?["code"] == "company_not_found")

            let attached = try await harness.request(.POST, .intercom, "/contacts/\(contactId)/companies", json: ["id": .string(companyId)])
            #expect(attached.status == 200)
            #expect(attached.json?["user_count"] == 1)
            let contact = try await harness.request(.GET, .intercom, "/contacts/" + contactId)
            #expect(contact.json?["companies"]?["data"]?[0]?["id"]?.stringValue == companyId)

            let detached = try await harness.request(.DELETE, .intercom, "/contacts/\(contactId)/companies/\(companyId)")
            #expect(detached.status == 200)
            let twice = try await harness.request(.DELETE, .intercom, "/contacts/\(contactId)/companies/\(companyId)")
            #expect(twice.status == 404)
        }
    }

    @Test func wrongTokenIs401ErrorList() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.POST, .intercom, "/contacts/search", json: Self.search("email", "x"), auth: .header("Bearer nope"))
            #expect(reply.status == 401)
            #expect(reply.json?["errors"]?[0]?["code"] == "unauthorized")
            #expect(reply.header("X-RateLimit-Limit") == nil, "Intercom sends no rate-limit headers without valid credentials")
        }
    }

    @Test func nestedCustomAttributesAndUndefinedOnesAreRejected() async throws {
        var options = SimulatorOptions()
        options.intercomDataAttributes = ["plan"]
        try await withSandbox(options: options) { harness in
            let nested = try await harness.request(.POST, .intercom, "/contacts", json: [
                "role": "user", "external_id": "u-1", "custom_attributes": ["address": ["city": "Oslo"]],
            ])
            #expect(nested.status == 400)
            let undefined = try await harness.request(.POST, .intercom, "/contacts", json: [
                "role": "user", "external_id": "u-1", "custom_attributes": ["shoe_size": 44],
            ])
            #expect(undefined.status == 400)
            #expect(undefined.json?["errors"]?[0]?["message"]?.stringValue?.contains("does not exist") == true)
        }
    }
}
