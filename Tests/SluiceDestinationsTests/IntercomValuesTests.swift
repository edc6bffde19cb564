@testable import SluiceDestinations
import SluiceSpec
import Testing

/// The small readers the Intercom mapping uses instead of slower general ones.
@Suite struct IntercomValuesTests {
    @Test(arguments: [
        "2023-11-14T09:30:00.000Z", "2023-11-14T09:30:00Z", "2023-11-14t09:30:00z", "2023-11-14 09:30:00",
        "2023-11-14T09:30", "2023-11-14", "2024-02-29T23:59:60Z", "2023-11-14T09:30:00.123456+05:30",
        "2023-11-14T09:30:00-0800", "2023-11-14T09:30:00+01", "1969-07-20T20:17:40Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999Z",
    ])
    func theISOFastPathAgreesWithTimestamp(_ text: String) throws {
        let fast = try #require(ISO8601Seconds.parse(text))
        #expect(fast == Timestamp.unixSeconds(.string(text)))
    }

    @Test(arguments: [
        "Thu Mar 24 2016 17:44:51 GMT+0000 (UTC)", "1458841605", " 2023-11-14T09:30:00Z", "2023-02-29", "2023-13-01",
        "2023-11-14T24:00:00Z", "2023-11-14T09:30:00.Z", "2023-11-14T09:30:00+5", "2023-11-14T09:30:00Zjunk", "",
    ])
    func everythingElseIsLeftToTimestamp(_ text: String) {
        #expect(ISO8601Seconds.parse(text) == nil)
    }

    @Test func datesInOtherFormsStillConvert() {
        #expect(IntercomValues.unixSeconds(.string("Thu Mar 24 2016 17:44:51 GMT+0000 (UTC)")) == 1_458_841_491)
        #expect(IntercomValues.unixSeconds(.string(" 2016-03-24T17:44:51Z ")) == 1_458_841_491)
        #expect(IntercomValues.unixSeconds(.int(1_458_841_491_000)) == 1_458_841_491)
        #expect(IntercomValues.unixSeconds(.bool(true)) == nil)
    }

    @Test func aLiteralDottedKeyAndAFlattenedOneDoNotBothGetSent() {
        var writer = IntercomFlatWriter(defaultHandling: .flatten)
        writer.append("address.city", "Bergen")
        writer.append("address", ["city": "Oslo", "zip": "0150"])
        #expect(writer.finish() == ["address.city": "Oslo", "address.zip": "0150"])
        #expect(writer.finish().count == 2)
    }

    @Test func flatteningWithoutDotsKeepsEveryEntryInOrder() {
        var writer = IntercomFlatWriter(defaultHandling: .flatten)
        writer.append("b", 1)
        writer.append("a", ["x": [true, ["y": nil]]])
        writer.append("c", [])
        #expect(writer.finish().keys == ["b", "a.x.0", "a.x.1.y"])
    }
}

@Suite struct SettingsChangesReachRequestsTests {
    @Test func changingTheIntercomKeyChangesTheAuthorization() async throws {
        var settings = Canned.intercom()
        settings.apiKey = Secret("0000000000000000000000000000000000000001")
        let context = ScriptedContext()
        context.on(.POST, "/events", Canned.accepted)
        _ = try await Intercom.map(try Canned.track("Ping"), settings: settings, context: context)
        #expect(context.requests[0].headers["Authorization"] == "Bearer 0000000000000000000000000000000000000001")
        #expect(context.requests[0].secrets == [settings.apiKey])
    }

    @Test func changingTheClientSuccessProjectOrKeyChangesTheURL() async throws {
        var settings = Canned.clientSuccess()
        settings.projectId = "p2"
        settings.apiKey = Secret("k2")
        let context = ScriptedContext(state: InMemoryMappingState(["clientsuccess.group:u1": ["id": "o", "name": "O"]]))
        context.on(.POST, "/collector", Canned.created)
        _ = try await ClientSuccess.map(try Canned.track("Ping"), settings: settings, context: context)
        #expect(context.requests[0].url == "https://usage.clientsuccess.com/collector/1.0.0/projects/p2/events/Ping?api_key=k2")
    }

    @Test func anOriginalTimestampDatesATrackWithoutATimestamp() async throws {
        let context = ScriptedContext()
        context.on(.POST, "/events", Canned.accepted)
        let event = try makeEvent(["type": "track", "event": "Ping", "userId": "u1", "originalTimestamp": "2016-03-24T17:44:51Z"])
        _ = try await Intercom.map(event, settings: Canned.intercom(), context: context)
        #expect(context.requests[0].jsonBody?["created_at"] == 1_458_841_491)
    }
}
