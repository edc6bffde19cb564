import Foundation
import SluiceDestinations
import SluiceSpec
import Testing

@Suite struct IntercomTrackTests {
    let settings = Canned.intercom()

    func accepting() -> ScriptedContext {
        let context = ScriptedContext()
        context.on(.POST, "/events", Canned.accepted)
        return context
    }

    func run(_ event: Event, _ context: ScriptedContext, settings: IntercomSettings? = nil) async throws -> MappingOutcome {
        try await Intercom.map(event, settings: settings ?? self.settings, context: context)
    }

    @Test func aTrackBecomesOneDataEvent() async throws {
        let context = accepting()
        let outcome = try await run(try Canned.track("Placed Order", ["order_id": "o-1", "items": 3]), context)
        #expect(outcome == .delivered)
        #expect(context.lines == ["POST /events"])
        #expect(context.requests[0].jsonBody == [
            "event_name": "Placed Order", "created_at": .int(Canned.trackSeconds), "user_id": "u1",
            "metadata": ["order_id": "o-1", "items": 3],
        ])
        #expect(context.requests[0].redacted().headers["Authorization"] == "Bearer ••••9c2e")
    }

    @Test func withoutPropertiesNoMetadataIsSent() async throws {
        let context = accepting()
        _ = try await run(try Canned.track("Logged In"), context)
        #expect(context.requests[0].jsonBody == ["event_name": "Logged In", "created_at": .int(Canned.trackSeconds), "user_id": "u1"])
    }

    @Test func withoutAUserIdTheEmailIdentifiesTheUser() async throws {
        let context = accepting()
        _ = try await run(try Canned.track("Logged In", userId: nil, context: ["traits": ["email": "j@example.com"]]), context)
        #expect(context.requests[0].jsonBody?["email"] == "j@example.com")
        #expect(context.requests[0].jsonBody?["user_id"] == nil)
    }

    @Test func anAnonymousTrackIsSkipped() async throws {
        let context = accepting()
        let outcome = try await run(try Canned.track("Logged In", userId: nil), context)
        #expect(Canned.skipReason(outcome)?.contains("userId or an email") == true)
        #expect(context.requests.isEmpty)
    }

    @Test func revenueBecomesAMonetaryAmountInCents() async throws {
        let context = accepting()
        _ = try await run(try Canned.track("Order Completed", ["order_id": "o-1", "revenue": 19.99, "currency": "eur"]), context)
        #expect(context.requests[0].jsonBody?["metadata"] == ["order_id": "o-1", "price": ["amount": 1999, "currency": "eur"]])
    }

    @Test func currencyDefaultsToUSDAndRevenueMayBeText() async throws {
        let context = accepting()
        _ = try await run(try Canned.track("Order Completed", ["revenue": "42"]), context)
        #expect(context.requests[0].jsonBody?["metadata"] == ["price": ["amount": 4200, "currency": "usd"]])
    }

    @Test func aPricePropertyGivesWayToRevenueWithANote() async throws {
        let context = accepting()
        let outcome = try await run(try Canned.track("Order Completed", ["price": 5, "revenue": 10]), context)
        #expect(context.requests[0].jsonBody?["metadata"] == ["price": ["amount": 1000, "currency": "usd"]])
        #expect(Canned.notes(outcome).count == 1)
    }

    @Test func propertiesBeyondTheFifthAreNamedInTheNotes() async throws {
        let context = accepting()
        let properties: JSONObject = ["a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": ["h": 7]]
        let outcome = try await run(try Canned.track("Big", properties), context)
        #expect(context.requests[0].jsonBody?["metadata"]?.objectValue?.count == 7)
        #expect(Canned.notes(outcome) == ["Intercom shows only the first 5 event properties; not shown: f, g.h"])
    }

    @Test func richLinkPropertiesStayObjects() async throws {
        let context = accepting()
        let settings = Canned.intercom(richLinkProperties: ["order_number", "article"])
        let properties: JSONObject = [
            "order_number": ["value": "3434-3434", "url": "https://example.org/orders/3434-3434"],
            "article": ["url": "https://example.org/a", "value": "A", "extra": 1],
        ]
        _ = try await run(try Canned.track("Placed Order", properties), context, settings: settings)
        #expect(context.requests[0].jsonBody?["metadata"] == [
            "order_number": ["value": "3434-3434", "url": "https://example.org/orders/3434-3434"],
            "article.url": "https://example.org/a", "article.value": "A", "article.extra": 1,
        ])
    }

    @Test func nestedMetadataFollowsTheNestedHandlingSettings() async throws {
        let context = accepting()
        let settings = Canned.intercom(defaultNestedHandling: .drop, nestedHandling: ["cart": .stringify])
        let properties: JSONObject = ["cart": ["size": 2], "shipping": ["city": "Oslo"], "coupon": "X"]
        _ = try await run(try Canned.track("Checked Out", properties), context, settings: settings)
        #expect(context.requests[0].jsonBody?["metadata"] == ["cart": #"{"size":2}"#, "coupon": "X"])
    }

    @Test func theHundredAndTwentyFirstNewEventNameIsSkipped() async throws {
        let state = InMemoryMappingState()
        let context = ScriptedContext(state: state)
        context.on(.POST, "/events", Canned.accepted)
        for index in 0..<120 {
            #expect(try await run(try Canned.track("Event \(index)"), context) == .delivered)
        }
        let outcome = try await run(try Canned.track("Event 120"), context)
        let reason = try #require(Canned.skipReason(outcome))
        #expect(reason.contains("120 unique event names"))
        #expect(reason.contains("Event 120"))
        #expect(context.requests.count == 120)

        #expect(try await run(try Canned.track("Event 7"), context) == .delivered)
        #expect(try await run(try Canned.track("  event 7 "), context) == .delivered)
        #expect(context.requests.count == 122)
        #expect(state.values["intercom.eventNameCount"] == 120)
    }

    @Test func aRejectedEventDoesNotUseUpAName() async throws {
        let state = InMemoryMappingState()
        let context = ScriptedContext(state: state)
        context.on(.POST, "/events", Canned.intercomError(404, code: "not_found", message: "User Not Found"))
        let failure = await Canned.failure { try await run(try Canned.track("Signed Up"), context) }
        #expect(failure?.response.status == 404)
        #expect(failure?.message == "not_found: User Not Found")
        #expect(state.values.isEmpty)
    }

    @Test func acceptedNamesAreRecordedCaseFolded() async throws {
        let state = InMemoryMappingState()
        let context = ScriptedContext(state: state)
        context.on(.POST, "/events", Canned.accepted)
        _ = try await run(try Canned.track("Signed Up"), context)
        _ = try await run(try Canned.track("signed up"), context)
        #expect(state.values == ["intercom.eventName:signed up": true, "intercom.eventNameCount": 1])
    }

    @Test func intercoms422ForTooManyEventsSurfacesWithItsMessage() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/events", Canned.intercomError(422, code: "parameter_invalid", message: "can't have more than 120 active events"))
        let failure = await Canned.failure { try await run(try Canned.track("One Too Many"), context) }
        #expect(failure?.message == "parameter_invalid: can't have more than 120 active events")
    }

    @Test func withoutATimestampTheEventIsDatedNow() async throws {
        let context = accepting()
        let event = try makeEvent(["type": "track", "event": "Ping", "userId": "u1"])
        _ = try await run(event, context)
        #expect(context.requests[0].jsonBody?["created_at"] == .int(Canned.nowSeconds))
    }
}
