import Foundation
import SluiceDestinations
import SluiceSpec
import Testing

@Suite struct IntercomGroupTests {
    let settings = Canned.intercom()

    func run(_ event: Event, _ context: ScriptedContext, settings: IntercomSettings? = nil) async throws -> MappingOutcome {
        try await Intercom.map(event, settings: settings ?? self.settings, context: context)
    }

    func companyAndContact() -> ScriptedContext {
        let context = ScriptedContext()
        context.on(.POST, "/companies", Canned.object("company", id: "ic-1"))
        context.on(.POST, "/contacts/search", Canned.contacts("c1", externalId: "u1"))
        context.on(.POST, "/contacts/c1/companies", Canned.object("company", id: "ic-1"))
        return context
    }

    @Test func aGroupSavesTheCompanyAndAttachesTheUser() async throws {
        let context = companyAndContact()
        let traits: JSONObject = [
            "name": "Segment", "plan": "enterprise", "monthlySpend": 1200.75, "createdAt": "2016-03-24T17:46:45Z",
            "employees": 120, "hq": ["city": "SF"],
        ]
        #expect(try await run(try Canned.group("companyId123", traits), context) == .delivered)
        #expect(context.lines == ["POST /companies", "POST /contacts/search", "POST /contacts/c1/companies"])
        #expect(context.requests[0].jsonBody == [
            "company_id": "companyId123", "name": "Segment", "plan": "enterprise", "monthly_spend": 1200,
            "remote_created_at": 1_458_841_605, "custom_attributes": ["employees": 120, "hq.city": "SF"],
        ])
        #expect(context.requests[2].jsonBody == ["id": "ic-1"])
    }

    @Test func snakeCaseMonthlySpendIsReadToo() async throws {
        let context = companyAndContact()
        _ = try await run(try Canned.group("g1", ["name": "Acme", "monthly_spend": "49"]), context)
        #expect(context.requests[0].jsonBody == ["company_id": "g1", "name": "Acme", "monthly_spend": 49])
    }

    @Test func anUnreadableMonthlySpendIsNoted() async throws {
        let context = companyAndContact()
        let outcome = try await run(try Canned.group("g1", ["monthlySpend": "lots"]), context)
        #expect(context.requests[0].jsonBody == ["company_id": "g1"])
        #expect(Canned.notes(outcome).contains { $0.contains("monthlySpend") })
    }

    @Test func theUsersTraitsDoNotBecomeCompanyAttributes() async throws {
        let context = companyAndContact()
        let event = try Canned.group("g1", ["name": "Acme"], context: ["traits": ["email": "j@example.com", "firstName": "Jane"]])
        _ = try await run(event, context)
        #expect(context.requests[0].jsonBody == ["company_id": "g1", "name": "Acme"])
    }

    @Test func anUnknownUserIsNotedAndTheCompanyStillSaved() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/companies", Canned.object("company", id: "ic-1"))
        context.on(.POST, "/contacts/search", Canned.noContacts)
        let outcome = try await run(try Canned.group("g1", ["name": "Acme"]), context)
        #expect(context.lines == ["POST /companies", "POST /contacts/search"])
        #expect(Canned.notes(outcome) == ["company saved; user not attached: no single Intercom contact has userId u1 (send an identify first)"])
    }

    @Test func anAnonymousGroupFindsTheUserByContextEmail() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/companies", Canned.object("company", id: "ic-1"))
        context.on(.POST, "/contacts/search", Canned.contacts("c3"))
        context.on(.POST, "/contacts/c3/companies", Canned.object("company", id: "ic-1"))
        _ = try await run(try Canned.group("g1", ["name": "Acme"], userId: nil, context: ["traits": ["email": "j@example.com"]]), context)
        #expect(context.lines == ["POST /companies", "POST /contacts/search", "POST /contacts/c3/companies"])
        #expect(context.requests[1].jsonBody?["query"]?["field"] == "email")
    }

    @Test func aGroupWithNoWayToFindTheUserSavesOnlyTheCompany() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/companies", Canned.object("company", id: "ic-1"))
        let outcome = try await run(try Canned.group("g1", ["name": "Acme"], userId: nil), context)
        #expect(context.lines == ["POST /companies"])
        #expect(Canned.notes(outcome).first?.contains("no user attached") == true)
    }

    @Test func companyCustomAttributesFollowTheNestedHandlingSettings() async throws {
        let context = companyAndContact()
        _ = try await run(try Canned.group("g1", ["address": ["city": "Oslo"]]), context,
                          settings: Canned.intercom(defaultNestedHandling: .stringify))
        #expect(context.requests[0].jsonBody == ["company_id": "g1", "custom_attributes": ["address": #"{"city":"Oslo"}"#]])
    }

    @Test func aFailedCompanySaveStopsBeforeTheUser() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/companies", Canned.intercomError(400, code: "parameter_invalid", message: "Invalid company_id"))
        let failure = await Canned.failure { try await run(try Canned.group("g1", ["name": "Acme"]), context) }
        #expect(failure?.message == "parameter_invalid: Invalid company_id")
        #expect(context.lines == ["POST /companies"])
    }

    @Test(arguments: [EventType.page, .screen])
    func pageAndScreenHaveNoServerSideEffect(_ type: EventType) async throws {
        let context = ScriptedContext()
        let outcome = try await run(try makeEvent(["type": .string(type.rawValue), "userId": "u1", "name": "Home"]), context)
        #expect(outcome == .skipped(reason: "no server-side effect"))
        #expect(context.requests.isEmpty)
    }

    @Test func aliasIsSkippedWithAReason() async throws {
        let context = ScriptedContext()
        let outcome = try await run(try makeEvent(["type": "alias", "userId": "u1", "previousId": "anon-1"]), context)
        #expect(Canned.skipReason(outcome)?.isEmpty == false)
    }
}
