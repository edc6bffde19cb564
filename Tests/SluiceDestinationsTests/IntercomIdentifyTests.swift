import Foundation
import SluiceDestinations
import SluiceSpec
import Testing

@Suite struct IntercomIdentifyTests {
    let settings = Canned.intercom()

    func run(_ event: Event, _ context: ScriptedContext, settings: IntercomSettings? = nil) async throws -> MappingOutcome {
        try await Intercom.map(event, settings: settings ?? self.settings, context: context)
    }

    /// A context where the user already exists as contact c1.
    func existingContact() -> ScriptedContext {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.contacts("c1", externalId: "u1"))
        context.on(.PUT, "/contacts/c1", Canned.object("contact", id: "c1"))
        return context
    }

    /// The body of the contact write, the last contact request.
    func contactBody(_ context: ScriptedContext) -> JSON? {
        context.requests.last { $0.pathAndQuery.hasPrefix("/contacts") && $0.method != .DELETE && !$0.url.hasSuffix("/search") && !$0.url.hasSuffix("/companies") }?.jsonBody
    }

    func customAttributes(_ context: ScriptedContext) -> JSON? { contactBody(context)?["custom_attributes"] }

    @Test func anExistingContactIsFoundByExternalIdAndUpdated() async throws {
        let context = existingContact()
        let event = try Canned.identify(["email": "jane@example.com", "name": "Jane Roe", "plan": "pro"])
        #expect(try await run(event, context) == .delivered)
        #expect(context.lines == ["POST /contacts/search", "PUT /contacts/c1"])

        let search = context.requests[0]
        #expect(search.url == "https://api.intercom.io/contacts/search")
        #expect(search.jsonBody == ["query": ["field": "external_id", "operator": "=", "value": "u1"]])
        #expect(context.requests[1].jsonBody == [
            "external_id": "u1", "email": "jane@example.com", "name": "Jane Roe", "custom_attributes": ["plan": "pro"],
        ])
    }

    @Test func requestsCarryIntercomsHeadersWithTheKeyMaskedInSnapshots() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["email": "jane@example.com"]), context)
        let search = context.requests[0]
        #expect(search.headers["Authorization"] == "Bearer \(Canned.intercomKey)")
        let snapshot = search.redacted()
        #expect(snapshot.headers == [
            "Authorization": "Bearer ••••9c2e", "Intercom-Version": "2.11", "Accept": "application/json",
            "Content-Type": "application/json",
        ])
        #expect(!"\(snapshot)".contains(Canned.intercomKey))
    }

    @Test func aContactWithoutTheExternalIdIsFoundByEmail() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.noContacts, Canned.contacts("c7"))
        context.on(.PUT, "/contacts/c7", Canned.object("contact", id: "c7"))
        _ = try await run(try Canned.identify(["email": "jane@example.com"]), context)
        #expect(context.lines == ["POST /contacts/search", "POST /contacts/search", "PUT /contacts/c7"])
        #expect(context.requests[1].jsonBody == ["query": ["field": "email", "operator": "=", "value": "jane@example.com"]])
        #expect(context.requests[2].jsonBody?["external_id"] == "u1")
    }

    @Test func aNewUserIsCreatedWithTheUserRole() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.noContacts)
        context.on(.POST, "/contacts", Canned.object("contact", id: "c9"))
        _ = try await run(try Canned.identify(["email": "jane@example.com", "phone": "+4712345678"]), context)
        #expect(context.lines == ["POST /contacts/search", "POST /contacts/search", "POST /contacts"])
        #expect(context.requests[2].jsonBody == [
            "role": "user", "external_id": "u1", "email": "jane@example.com", "phone": "+4712345678",
        ])
    }

    @Test func withoutAUserIdTheContactIsFoundAndCreatedByEmail() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.noContacts)
        context.on(.POST, "/contacts", Canned.object("contact", id: "c9"))
        _ = try await run(try Canned.identify(["email": "jane@example.com"], userId: nil), context)
        #expect(context.lines == ["POST /contacts/search", "POST /contacts"])
        #expect(context.requests[0].jsonBody?["query"]?["field"] == "email")
        #expect(context.requests[1].jsonBody == ["role": "user", "email": "jane@example.com"])
    }

    @Test func anAnonymousIdentifyWithoutEmailIsSkipped() async throws {
        let context = ScriptedContext()
        let outcome = try await run(try Canned.identify(["plan": "pro"], userId: nil), context)
        #expect(Canned.skipReason(outcome)?.contains("userId or an email") == true)
        #expect(context.requests.isEmpty)
    }

    @Test func twoContactsWithTheSameEmailAreNotGuessedBetween() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.noContacts, Canned.contacts("c1", "c2"))
        context.on(.POST, "/contacts", Canned.object("contact", id: "c9"))
        _ = try await run(try Canned.identify(["email": "shared@example.com"]), context)
        #expect(context.lines.last == "POST /contacts")
    }

    @Test func anEmailMatchBelongingToAnotherExternalIdIsNotThisUser() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.noContacts, Canned.contacts("c5", externalId: "someone-else"))
        context.on(.POST, "/contacts", Canned.object("contact", id: "c9"))
        _ = try await run(try Canned.identify(["email": "shared@example.com"]), context)
        #expect(context.lines.last == "POST /contacts")
    }

    @Test(arguments: [
        (["firstName": "Jane", "lastName": "Roe"], "Jane Roe"),
        (["first_name": "Jane", "last_name": "Roe"], "Jane Roe"),
        (["firstName": "Jane"], "Jane"),
        (["name": "J. Roe", "firstName": "Jane", "lastName": "Roe"], "J. Roe"),
    ] as [(JSONObject, String)])
    func theNameComesFromNameOrFirstAndLastName(_ traits: JSONObject, _ expected: String) async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(traits), context)
        #expect(contactBody(context)?["name"] == .string(expected))
        #expect(customAttributes(context) == nil)
    }

    @Test(arguments: [
        JSON.string("2016-03-24T17:46:45.000Z"),
        JSON.string("Thu Mar 24 2016 17:46:45 GMT+0000 (UTC)"),
        JSON.int(1_458_841_605_000),
        JSON.int(1_458_841_605),
        JSON.string("1458841605"),
    ])
    func createdAtInEveryDocumentedFormBecomesUnixSeconds(_ createdAt: JSON) async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["createdAt": createdAt]), context)
        #expect(contactBody(context)?["signed_up_at"] == .int(1_458_841_605))
        #expect(customAttributes(context) == nil)
    }

    @Test func snakeCaseCreatedAtIsReadToo() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["created_at": 1_458_841_605]), context)
        #expect(contactBody(context)?["signed_up_at"] == .int(1_458_841_605))
    }

    @Test func anUnreadableCreatedAtIsNotedAndNotSent() async throws {
        let context = existingContact()
        let outcome = try await run(try Canned.identify(["createdAt": "last tuesday"]), context)
        #expect(contactBody(context)?["signed_up_at"] == nil)
        #expect(Canned.notes(outcome).contains { $0.contains("createdAt") && $0.contains("not a date") })
    }

    @Test func activeTrueSetsLastSeenToNow() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["plan": "pro"], context: ["active": true]), context)
        #expect(contactBody(context)?["last_seen_at"] == .int(Canned.nowSeconds))
    }

    @Test func aLastRequestAtTraitOverridesNow() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["lastRequestAt": "2016-03-24T17:46:45Z"], context: ["active": true]), context)
        #expect(contactBody(context)?["last_seen_at"] == .int(1_458_841_605))
        #expect(customAttributes(context) == nil)
    }

    @Test func activeFalseLeavesLastSeenAlone() async throws {
        let context = existingContact()
        let outcome = try await run(try Canned.identify(["lastRequestAt": 1_458_841_605], context: ["active": false]), context)
        #expect(contactBody(context)?["last_seen_at"] == nil)
        #expect(customAttributes(context) == nil)
        #expect(Canned.notes(outcome).contains { $0.contains("lastRequestAt") })
    }

    @Test func withoutActiveLastSeenIsNotSent() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["plan": "pro"]), context)
        #expect(contactBody(context)?["last_seen_at"] == nil)
    }

    @Test func userAgentAndIPBecomeLastSeenCustomAttributes() async throws {
        let context = existingContact()
        let call: JSONObject = ["ip": "192.168.0.1", "active": false, "userAgent": "Mozilla/5.0"]
        _ = try await run(try Canned.identify(["plan": "Premium"], context: call), context)
        #expect(customAttributes(context) == ["plan": "Premium", "last_seen_user_agent": "Mozilla/5.0", "last_seen_ip": "192.168.0.1"])
    }

    @Test func unsubscribedFromEmailsInTheIntercomContextUnsubscribes() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["email": "j@example.com"], context: ["Intercom": ["unsubscribedFromEmails": true]]), context)
        #expect(contactBody(context)?["unsubscribed_from_emails"] == true)

        let viaIntegrations = existingContact()
        let event = try Canned.identify([:], extra: ["integrations": ["Intercom": ["unsubscribedFromEmails": true]]])
        _ = try await run(event, viaIntegrations)
        #expect(contactBody(viaIntegrations)?["unsubscribed_from_emails"] == true)
    }

    @Test func unsubscribedFromEmailsFalseNeverResubscribes() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["email": "j@example.com"], context: ["Intercom": ["unsubscribedFromEmails": false]]), context)
        #expect(contactBody(context)?["unsubscribed_from_emails"] == nil)
    }

    @Test func collectContextSendsDeviceOSAndAppAsCustomAttributes() async throws {
        let mobile: JSONObject = [
            "device": ["type": "ios", "manufacturer": "Apple", "model": "iPhone15,2", "id": "ignored"],
            "os": ["name": "iOS", "version": "17.1"], "app": ["name": "Sluice Demo", "version": "2.3.0", "build": "230"],
        ]
        let withContext = existingContact()
        _ = try await run(try Canned.identify(["plan": "pro"], context: mobile), withContext, settings: Canned.intercom(collectContext: true))
        #expect(customAttributes(withContext) == [
            "plan": "pro", "device_type": "ios", "device_manufacturer": "Apple", "device_model": "iPhone15,2",
            "os_name": "iOS", "os_version": "17.1", "app_name": "Sluice Demo", "app_version": "2.3.0",
        ])

        let without = existingContact()
        _ = try await run(try Canned.identify(["plan": "pro"], context: mobile), without)
        #expect(customAttributes(without) == ["plan": "pro"])
    }

    @Test func nestedTraitsAreFlattenedWithDotKeysByDefault() async throws {
        let context = existingContact()
        let traits: JSONObject = ["address": ["city": "Oslo", "geo": ["lat": 59.9]], "tags": ["a", "b"], "score": 7]
        _ = try await run(try Canned.identify(traits), context)
        #expect(customAttributes(context) == [
            "address.city": "Oslo", "address.geo.lat": 59.9, "tags.0": "a", "tags.1": "b", "score": 7,
        ])
    }

    @Test func stringifyByDefaultSendsCompactJSONText() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["address": ["city": "Oslo", "zip": "0150"]]), context,
                          settings: Canned.intercom(defaultNestedHandling: .stringify))
        #expect(customAttributes(context) == ["address": #"{"city":"Oslo","zip":"0150"}"#])
    }

    @Test func dropByDefaultOmitsNestedTraits() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["address": ["city": "Oslo"], "plan": "pro"]), context,
                          settings: Canned.intercom(defaultNestedHandling: .drop))
        #expect(customAttributes(context) == ["plan": "pro"])
    }

    @Test func perPathHandlingOverridesTheDefault() async throws {
        let context = existingContact()
        let settings = Canned.intercom(nestedHandling: ["prefs": .stringify, "address.geo": .drop])
        let traits: JSONObject = ["address": ["city": "Oslo", "geo": ["lat": 59.9]], "prefs": ["theme": "dark"]]
        _ = try await run(try Canned.identify(traits), context, settings: settings)
        #expect(customAttributes(context) == ["address.city": "Oslo", "prefs": #"{"theme":"dark"}"#])
    }

    @Test func avatarIsNeverSent() async throws {
        let context = existingContact()
        _ = try await run(try Canned.identify(["avatar": "https://example.com/a.png", "plan": "pro"]), context)
        #expect(customAttributes(context) == ["plan": "pro"])
        #expect(contactBody(context)?["avatar"] == nil)
    }

    @Test func rudderStackContextTraitsAreRead() async throws {
        let context = existingContact()
        let event = try Canned.identify([:], context: ["traits": ["email": "r@example.com", "plan": "pro"]])
        _ = try await run(event, context)
        #expect(contactBody(context) == ["external_id": "u1", "email": "r@example.com", "custom_attributes": ["plan": "pro"]])
    }

    @Test func aCompanyNameIsHashedIntoAStableCompanyIdAndTheContactAttached() async throws {
        let context = existingContact()
        context.on(.POST, "/companies", Canned.object("company", id: "ic-42"))
        context.on(.POST, "/contacts/c1/companies", Canned.object("company", id: "ic-42"))
        _ = try await run(try Canned.identify(["company": "Initech"]), context)
        #expect(context.lines == ["POST /contacts/search", "PUT /contacts/c1", "POST /companies", "POST /contacts/c1/companies"])
        #expect(context.requests[2].jsonBody == ["company_id": "d70926e4085d60a1", "name": "Initech"])
        #expect(context.requests[3].jsonBody == ["id": "ic-42"])
        #expect(context.requests[1].jsonBody?["custom_attributes"] == nil)
    }

    @Test func companyIdHashIsFNV1a64InHex() {
        #expect(IntercomCompanyID.forName("") == "cbf29ce484222325")
        #expect(IntercomCompanyID.forName("a") == "af63dc4c8601ec8c")
        #expect(IntercomCompanyID.forName("Teemo Holding Company") == "cefe7523c2313c25")
    }

    @Test func aCompanyObjectIsSavedWithItsSpecialFields() async throws {
        let context = existingContact()
        context.on(.POST, "/companies", Canned.object("company", id: "ic-813"))
        context.on(.POST, "/contacts/c1/companies", Canned.object("company", id: "ic-813"))
        let company: JSON = [
            "id": 813, "name": "Teemo Holding Company", "plan": "enterprise", "monthly_spend": 99.9,
            "createdAt": "Thu Mar 24 2016 17:44:51 GMT+0000 (UTC)", "industry": "Gaming", "hq": ["city": "LA"],
        ]
        _ = try await run(try Canned.identify(["company": company]), context)
        #expect(context.requests[2].jsonBody == [
            "company_id": "813", "name": "Teemo Holding Company", "plan": "enterprise", "monthly_spend": 99,
            "remote_created_at": 1_458_841_491, "custom_attributes": ["industry": "Gaming", "hq.city": "LA"],
        ])
        #expect(context.requests[3].jsonBody == ["id": "ic-813"])
    }

    @Test func removeTrueDetachesTheContactFromTheCompany() async throws {
        let context = existingContact()
        context.on(.GET, "/companies?company_id=12345", Canned.object("company", id: "ic-12345"))
        context.on(.DELETE, "/contacts/c1/companies/ic-12345", Canned.object("company", id: "ic-12345"))
        let event = try Canned.identify(["name": "Michael Bolton", "company": ["id": 12345, "remove": true]])
        #expect(try await run(event, context) == .delivered)
        #expect(context.lines == ["POST /contacts/search", "PUT /contacts/c1", "GET /companies?company_id=12345", "DELETE /contacts/c1/companies/ic-12345"])
        #expect(context.requests[3].body == nil)
    }

    @Test func removingFromAnUnknownCompanyIsNotedNotFailed() async throws {
        let context = existingContact()
        context.on(.GET, "/companies", Canned.intercomError(404, code: "company_not_found", message: "Company Not Found"))
        let outcome = try await run(try Canned.identify(["company": ["id": "nope", "remove": true]]), context)
        #expect(Canned.notes(outcome) == ["company nope is not in Intercom; nothing to remove the contact from"])
    }

    @Test func aConflictOnCreateSurfacesForTheEngineToRetry() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.noContacts)
        context.on(.POST, "/contacts", Canned.intercomError(409, code: "conflict", message: "A contact matching those details already exists with id=abc"))
        let failure = await Canned.failure { try await run(try Canned.identify(["email": "j@example.com"]), context) }
        #expect(failure?.response.status == 409)
        #expect(failure?.message == "conflict: A contact matching those details already exists with id=abc")
    }

    @Test func intercomsErrorListMessageIsTheFailureMessage() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/contacts/search", Canned.contacts("c1"))
        context.on(.PUT, "/contacts/c1", Canned.intercomError(422, code: "parameter_invalid", message: "Custom attribute 'plan' does not exist"))
        let failure = await Canned.failure { try await run(try Canned.identify(["plan": "pro"]), context) }
        #expect(failure?.response.status == 422)
        #expect(failure?.message == "parameter_invalid: Custom attribute 'plan' does not exist")
        #expect(failure.map { !"\($0)".contains(Canned.intercomKey) } == true)
        #expect(failure?.request.headers["Authorization"] == "Bearer ••••9c2e")
    }

    @Test func theBaseURLOverrideIsUsed() async throws {
        var settings = Canned.intercom()
        settings.common.baseURL = "http://127.0.0.1:9100"
        let context = existingContact()
        _ = try await run(try Canned.identify(["plan": "pro"]), context, settings: settings)
        #expect(context.requests.map(\.url) == ["http://127.0.0.1:9100/contacts/search", "http://127.0.0.1:9100/contacts/c1"])
    }
}
