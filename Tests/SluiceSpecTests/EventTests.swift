import Foundation
import SluiceSpec
import Testing

@Suite struct EventTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func normalize(_ item: JSON, type: EventType? = nil, envelope: BatchEnvelope? = nil) throws -> NormalizedEvent {
        try IngestNormalizer.normalize(item, pathType: type, envelope: envelope ?? BatchEnvelope(receivedAt: now), newMessageId: { "generated" })
    }

    @Test func keepsEveryCommonField() throws {
        let item: JSON = [
            "type": "track", "messageId": "m1", "userId": "u1", "anonymousId": "a1", "event": "Played",
            "timestamp": "2016-03-24T17:44:51Z", "originalTimestamp": "2016-03-24T17:44:50Z", "sentAt": "2016-03-24T17:44:52Z",
            "context": ["ip": "1.2.3.4"], "integrations": ["All": true], "properties": ["x": 1],
        ]
        let normalized = try normalize(item)
        let event = normalized.event
        #expect(event.type == .track && event.messageId == "m1" && event.userId == "u1" && event.anonymousId == "a1")
        #expect(event.event == "Played")
        #expect(event.properties == ["x": 1])
        #expect(event.context["ip"] == "1.2.3.4")
        #expect(event.payload["receivedAt"] == "2023-11-14T22:13:20.000Z")
        #expect(event.timestamp == Timestamp.parse("2016-03-24T17:44:51Z"))
        #expect(event.sentAt == Timestamp.parse("2016-03-24T17:44:52Z"))
    }

    @Test func pathSetsTheTypeAndRejectsAContradiction() throws {
        #expect(try normalize(["userId": "u"], type: .identify).event.type == .identify)
        #expect(throws: EventValidationError.self) { try normalize(["userId": "u", "type": "track", "event": "x"], type: .identify) }
    }

    @Test func generatesAMessageIdWhenMissing() throws {
        #expect(try normalize(["type": "page", "userId": "u"]).event.messageId == "generated")
    }

    @Test func writeKeyIsNeverStored() throws {
        let normalized = try normalize(["type": "page", "userId": "u", "writeKey": "secret-key"])
        #expect(!String(decoding: normalized.json, as: UTF8.self).contains("secret-key"))
    }

    @Test func numericUserIdsBecomeStrings() throws {
        #expect(try normalize(["type": "page", "userId": 42]).event.userId == "42")
    }

    @Test func batchContextAndIntegrationsMergeUnderTheCallsOwn() throws {
        let envelope = BatchEnvelope(context: ["library": ["name": "batch"], "ip": "9.9.9.9"], integrations: ["All": false, "Intercom": true], sentAt: "2016-03-24T17:44:52Z", receivedAt: now)
        let event = try normalize(["type": "page", "userId": "u", "context": ["ip": "1.1.1.1"], "integrations": ["Zendesk": false]], envelope: envelope).event
        #expect(event.context == ["ip": "1.1.1.1", "library": ["name": "batch"]])
        #expect(event.integrations == ["Zendesk": false, "All": false, "Intercom": true])
        #expect(event.payload["sentAt"] == "2016-03-24T17:44:52Z")
    }

    @Test func identifyTraitsFallBackToContextTraits() throws {
        let rudder = try normalize(["type": "identify", "userId": "u", "context": ["traits": ["email": "a@b.co", "plan": "pro"]]]).event
        #expect(rudder.traits == ["email": "a@b.co", "plan": "pro"])
        let both = try normalize(["type": "identify", "userId": "u", "traits": ["plan": "team"], "context": ["traits": ["email": "a@b.co", "plan": "pro"]]]).event
        #expect(both.traits == ["plan": "team", "email": "a@b.co"])
    }

    @Test(arguments: [
        (JSON.string("nope"), EventValidationError.Code.invalidField, "must be a JSON object"),
        (["type": "page"], .noUserAnonId, "userId or an anonymousId"),
        (["type": "page", "userId": ["id": 1]], .invalidField, "userId must be a string, not an object"),
        (["type": "page", "anonymousId": true], .invalidField, "anonymousId must be a string"),
        (["type": "page", "userId": ""], .noUserAnonId, "userId or an anonymousId"),
        (["type": "click", "userId": "u"], .invalidType, "type must be one of"),
        (["userId": "u"], .missingField, "type is required"),
        (["type": "track", "userId": "u"], .missingField, "needs an \"event\""),
        (["type": "track", "userId": "u", "event": 5], .invalidField, "event must be a string"),
        (["type": "group", "userId": "u"], .missingField, "needs a groupId"),
        (["type": "alias", "userId": "u"], .missingField, "needs a previousId"),
        (["type": "page", "userId": "u", "traits": [1]], .invalidField, "traits must be an object"),
        (["type": "page", "userId": "u", "context": "x"], .invalidField, "context must be an object"),
        (["type": "page", "userId": "u", "timestamp": "yesterday"], .invalidField, "timestamp is not a date"),
        (["type": "page", "userId": "u", "messageId": .string(String(repeating: "m", count: 101))], .messageIdTooLong, "101 characters"),
        (["type": "page", "userId": "u", "messageId": ["x": 1]], .invalidField, "messageId must be a string"),
    ] as [(JSON, EventValidationError.Code, String)])
    func rejectsInvalidCalls(item: JSON, code: EventValidationError.Code, fragment: String) {
        #expect {
            _ = try normalize(item)
        } throws: { error in
            guard let error = error as? EventValidationError else { return false }
            return error.code == code && error.message.contains(fragment)
        }
    }

    @Test func acceptsAHundredCharacterMessageId() throws {
        let id = String(repeating: "m", count: 100)
        #expect(try normalize(["type": "page", "userId": "u", "messageId": .string(id)]).event.messageId == id)
    }

    @Test func rejectsACallOver32KB() {
        let big = String(repeating: "x", count: 33 * 1024)
        #expect(throws: EventValidationError(.eventTooLarge, "the call is \(33 * 1024 + 117) bytes; the limit is 32 KB per call")) {
            try normalize(["type": "page", "userId": "u", "properties": ["blob": .string(big)]])
        }
    }
}
