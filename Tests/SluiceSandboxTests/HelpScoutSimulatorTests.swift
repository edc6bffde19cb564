import Foundation
@testable import SluiceSandbox
import SluiceSpec
import Testing

@Suite struct HelpScoutSimulatorTests {
    /// The query the Help Scout mapping sends: `(email:"…")`, percent-encoded.
    static func emailQuery(_ email: String) -> String {
        "/v2/customers?query=" + PercentEncoding.encode("(email:\"\(email)\")")
    }

    static let jane: JSON = [
        "firstName": "Jane", "lastName": "Doe", "organization": "Acme Corp",
        "emails": [["type": "work", "value": "jane@acme.example"]],
        "phones": [["type": "work", "value": "+47 555 0100"]],
        "properties": [["slug": "plan", "value": "growth"]],
    ]

    @Test func createAnswers201WithLocationAndResourceIdThenSearchFindsTheCustomer() async throws {
        try await withSandbox { harness in
            let created = try await harness.request(.POST, .helpscout, "/v2/customers", json: Self.jane)
            #expect(created.status == 201)
            #expect(created.body.isEmpty)
            let id = try #require(created.header("Resource-ID"))
            #expect(created.header("Location") == harness.sandbox.baseURL(for: .helpscout) + "/v2/customers/" + id)

            let found = try await harness.request(.GET, .helpscout, Self.emailQuery("JANE@acme.example"))
            #expect(found.status == 200)
            #expect(found.header("Content-Type")?.hasPrefix("application/hal+json") == true)
            let customers = try #require(found.json?["_embedded"]?["customers"]?.arrayValue)
            #expect(customers.count == 1)
            #expect(customers.first?["id"]?.scalarText == id)
            #expect(customers.first?["organization"] == "Acme Corp")
            #expect(found.json?["page"]?["totalElements"] == 1)

            let none = try await harness.request(.GET, .helpscout, Self.emailQuery("nobody@acme.example"))
            #expect(none.json?["_embedded"]?["customers"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func putOverwritesTheEntityAndSubResourcesAreAdded() async throws {
        try await withSandbox { harness in
            let created = try await harness.request(.POST, .helpscout, "/v2/customers", json: Self.jane)
            let path = "/v2/customers/" + (created.header("Resource-ID") ?? "")

            let put = try await harness.request(.PUT, .helpscout, path, json: ["firstName": "Janet", "jobTitle": "CTO"])
            #expect(put.status == 204)
            let email = try await harness.request(.POST, .helpscout, path + "/emails", json: ["type": "home", "value": "jd@home.example"])
            #expect(email.status == 201)
            #expect(email.header("Resource-ID") != nil)
            let website = try await harness.request(.POST, .helpscout, path + "/websites", json: ["value": "https://jane.example"])
            #expect(website.status == 201)
            let missingAddress = try await harness.request(.PUT, .helpscout, path + "/address", json: ["city": "Oslo"])
            #expect(missingAddress.status == 404)
            #expect(try await harness.request(.POST, .helpscout, path + "/address", json: ["city": "Oslo", "lines": ["Main St 1"]]).status == 201)
            #expect(try await harness.request(.PUT, .helpscout, path + "/address", json: ["city": "Bergen"]).status == 204)
            let patch = try await harness.request(.PATCH, .helpscout, path + "/properties",
                                                  json: [["op": "replace", "path": "/plan", "value": "enterprise"]])
            #expect(patch.status == 204)

            let customer = try #require(try await harness.request(.GET, .helpscout, path).json)
            #expect(customer["firstName"] == "Janet")
            #expect(customer["lastName"] == .null, "PUT overwrites: a field left out is cleared")
            #expect(customer["organization"] == .null)
            #expect(customer["jobTitle"] == "CTO")
            let emails = customer["_embedded"]?["emails"]?.arrayValue?.compactMap { $0["value"]?.stringValue }
            #expect(emails == ["jane@acme.example", "jd@home.example"])
            #expect(customer["_embedded"]?["websites"]?.arrayValue?.count == 1)
            #expect(customer["_embedded"]?["address"]?["city"] == "Bergen")
            #expect(customer["_embedded"]?["properties"] == [["slug": "plan", "value": "enterprise"]])
        }
    }

    @Test func validationErrorsUseHelpScoutsErrorFormat() async throws {
        try await withSandbox { harness in
            let tooLong = String(repeating: "x", count: 41)
            let reply = try await harness.request(.POST, .helpscout, "/v2/customers",
                                                  json: ["firstName": .string(tooLong), "emails": [["type": "work", "value": "not-an-email"]]])
            #expect(reply.status == 400)
            let json = try #require(reply.json)
            #expect(json["logRef"]?.stringValue?.isEmpty == false)
            #expect(json["message"] == "Bad request")
            let errors = try #require(json["_embedded"]?["errors"]?.arrayValue)
            #expect(errors.contains { $0["path"] == "firstName" && $0["source"] == "JSON" && $0["message"]?.stringValue != nil })
            #expect(errors.contains { $0["path"] == "emails[0].value" })

            let unknown = try await harness.request(.GET, .helpscout, "/v2/customers/999")
            #expect(unknown.status == 404)
            #expect(unknown.json?["_embedded"]?["errors"] != nil)
        }
    }

    @Test func wrongTokenIs401InHelpScoutsFormat() async throws {
        try await withSandbox { harness in
            let reply = try await harness.request(.GET, .helpscout, "/v2/customers", auth: .header("Bearer wrong-token"))
            #expect(reply.status == 401)
            #expect(reply.json?["logRef"] != nil)
            #expect(reply.json?["_embedded"]?["errors"]?[0]?["path"] == "Authorization")
            #expect(try await harness.request(.GET, .helpscout, "/v2/customers", auth: .none).status == 401)
        }
    }

    @Test func oauthTokensWorkUntilTheyExpire() async throws {
        var options = SimulatorOptions()
        options.helpScoutTokenLifetime = .seconds(600)
        try await withSandbox(options: options) { harness in
            let credentials = harness.credentials
            let form = "grant_type=client_credentials&client_id=\(credentials.helpScoutAppId)&client_secret=\(credentials.helpScoutAppSecret)"
            let issued = try await harness.request(.POST, .helpscout, "/v2/oauth2/token", form: form, auth: .none)
            #expect(issued.status == 200)
            #expect(issued.json?["token_type"] == "bearer")
            #expect(issued.json?["expires_in"] == 600)
            let token = try #require(issued.json?["access_token"]?.stringValue)

            #expect(try await harness.request(.GET, .helpscout, "/v2/customers", auth: .header("Bearer " + token)).status == 200)
            harness.clock.advance(by: 601)
            let expired = try await harness.request(.GET, .helpscout, "/v2/customers", auth: .header("Bearer " + token))
            #expect(expired.status == 401)

            let badSecret = try await harness.request(.POST, .helpscout, "/v2/oauth2/token",
                                                      form: "grant_type=client_credentials&client_id=\(credentials.helpScoutAppId)&client_secret=nope", auth: .none)
            #expect(badSecret.status == 401)
            #expect(badSecret.json?["error"] == "invalid_client")
            let badGrant = try await harness.request(.POST, .helpscout, "/v2/oauth2/token", form: "grant_type=password", auth: .none)
            #expect(badGrant.status == 400)
        }
    }

    @Test func defaultTokenLifetimeIsTwoDays() async throws {
        try await withSandbox { harness in
            let credentials = harness.credentials
            let issued = try await harness.request(.POST, .helpscout, "/v2/oauth2/token", json: [
                "grant_type": "client_credentials", "client_id": .string(credentials.helpScoutAppId),
                "client_secret": .string(credentials.helpScoutAppSecret),
            ], auth: .none)
            #expect(issued.json?["expires_in"] == 172_800)
        }
    }

    @Test func queryParsingAcceptsTheMappingsShape() {
        for query in ["(email:\"jane@acme.example\")", "email:jane@acme.example"] {
            let clause = HelpScoutSimulator.parseQuery(query)
            #expect(clause?.field == "email")
            #expect(clause?.value == "jane@acme.example")
        }
        #expect(HelpScoutSimulator.parseQuery("(jane)") == nil)
    }

    @Test func unknownPropertySlugsAreRejectedWhenTheAccountDefinesItsProperties() async throws {
        var options = SimulatorOptions()
        options.helpScoutPropertySlugs = ["plan"]
        try await withSandbox(options: options) { harness in
            let created = try await harness.request(.POST, .helpscout, "/v2/customers", json: Self.jane)
            let path = "/v2/customers/" + (created.header("Resource-ID") ?? "") + "/properties"
            let reply = try await harness.request(.PATCH, .helpscout, path, json: [["op": "replace", "path": "/shoe-size", "value": 44]])
            #expect(reply.status == 400)
            #expect(reply.json?["_embedded"]?["errors"]?[0]?["message"]?.stringValue?.contains("shoe-size") == true)
        }
    }
}

extension JSON {
    subscript(index: Int) -> JSON? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
