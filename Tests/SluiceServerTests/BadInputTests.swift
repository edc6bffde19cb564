import Foundation
import SluiceServer
import SluiceSpec
import Testing

/// Every bad request gets a clear JSON error with the right status, nothing from it is stored,
/// and the server keeps serving.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var path = "/v1/track"
        var body: [UInt8]
        var authorization: String? = basic(webKey)
        var contentType: String? = "application/json"
        var encoding: String?
        var status: Int
        var code: String
        var fragment: String

        var testDescription: String { name }
    }

    static func json(_ value: JSON) -> [UInt8] { JSONWriter.bytes(value) }
    static func text(_ value: String) -> [UInt8] { Array(value.utf8) }

    static let cases: [Case] = [
        Case(name: "invalid JSON", body: text(#"{"type":"track","#), status: 400, code: "invalid_json", fragment: "ends unexpectedly"),
        Case(name: "invalid UTF-8", body: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D], status: 400, code: "invalid_json", fragment: "not valid UTF-8"),
        Case(name: "userId as an object", body: json(call("track", "m", extra: ["userId": ["id": 1]])), status: 400, code: "invalid_field", fragment: "userId must be a string, not an object"),
        Case(name: "missing both ids", body: json(["event": "x", "messageId": "m"]), status: 400, code: "no_user_anon_id", fragment: "userId or an anonymousId"),
        Case(name: "event over 32 KB", body: json(call("track", "m", extra: ["properties": ["blob": .string(String(repeating: "x", count: 33_000))]])), status: 413, code: "event_too_large", fragment: "limit is 32 KB"),
        Case(name: "batch over 500 KB", path: "/v1/batch", body: json(["batch": .array((0..<30).map { call("track", "m\($0)", extra: ["properties": ["blob": .string(String(repeating: "x", count: 20_000))]]) })]), status: 413, code: "request_too_large", fragment: "500 KB"),
        Case(name: "2,501 events", path: "/v1/batch", body: json(["batch": .array((0..<2_501).map { call("track", "m\($0)") })]), status: 400, code: "batch_too_large", fragment: "2501 calls; the limit is 2500"),
        Case(name: "corrupt gzip", body: [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02, 0x03], encoding: "gzip", status: 400, code: "invalid_gzip", fragment: "not valid gzip"),
        Case(name: "gzip bomb", body: Gzip.compress([UInt8](repeating: 0x20, count: 20_000_000)), encoding: "gzip", status: 413, code: "request_too_large", fragment: "decompressed body is over 500 KB"),
        Case(name: "unknown write key (Basic)", body: json(call("track", "m")), authorization: basic("not-a-real-key"), status: 401, code: "invalid_write_key", fragment: "not one of this server's sources"),
        Case(name: "unknown write key (body)", body: json(call("track", "m", extra: ["writeKey": "not-a-real-key"])), authorization: nil, status: 401, code: "invalid_write_key", fragment: "not one of this server's sources"),
        Case(name: "missing auth", body: json(call("track", "m")), authorization: nil, status: 401, code: "missing_write_key", fragment: "HTTP Basic user name"),
        Case(name: "wrong content type", body: text("type=track"), contentType: "application/x-www-form-urlencoded", status: 415, code: "unsupported_media_type", fragment: "must be application/json"),
        Case(name: "JSON nested 10,000 deep", body: text("{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"), status: 400, code: "invalid_json", fragment: "nested more than 64 levels"),
        Case(name: "number 1e400", body: text(#"{"type":"track","userId":"u","event":"x","properties":{"n":1e400}}"#), status: 400, code: "invalid_json", fragment: "too large to represent"),
        Case(name: "101-character messageId", body: json(call("track", String(repeating: "m", count: 101))), status: 400, code: "message_id_too_long", fragment: "101 characters"),
        Case(name: "empty body", body: [], status: 400, code: "invalid_json", fragment: "body is empty"),
        Case(name: "batch not an array", path: "/v1/batch", body: json(["batch": ["type": "track"]]), status: 400, code: "invalid_batch", fragment: "must be an array, not an object"),
        Case(name: "batch missing", path: "/v1/batch", body: json(["events": []]), status: 400, code: "invalid_batch", fragment: "needs a \"batch\" array"),
        Case(name: "body is an array", body: json([call("track", "m")]), status: 400, code: "invalid_json", fragment: "must be a JSON object, not an array"),
        Case(name: "unsupported encoding", body: json(call("track", "m")), encoding: "br", status: 415, code: "unsupported_encoding", fragment: "send gzip"),
        Case(name: "Basic credentials not base64", body: json(call("track", "m")), authorization: "Basic %%%", status: 401, code: "invalid_authorization", fragment: "not valid base64"),
        Case(name: "Basic with an empty user name", body: json(call("track", "m")), authorization: basic(""), status: 401, code: "invalid_authorization", fragment: "empty user name"),
        Case(name: "unknown auth scheme", body: json(call("track", "m")), authorization: "Digest abc", status: 401, code: "invalid_authorization", fragment: "unsupported Authorization scheme"),
        Case(name: "track without an event name", body: json(["userId": "u", "messageId": "m"]), status: 400, code: "missing_field", fragment: "needs an \"event\" name"),
        Case(name: "type contradicts the path", body: json(call("identify", "m")), status: 400, code: "invalid_type", fragment: "does not match the endpoint /v1/track"),
        Case(name: "batch with only invalid items", path: "/v1/batch", body: json(["batch": [["type": "click", "userId": "u"], ["userId": "u"]]]), status: 400, code: "invalid_batch", fragment: "no call in the batch is valid (2 rejected"),
        Case(name: "writeKey not a string", body: json(call("track", "m", extra: ["writeKey": 42])), authorization: nil, status: 400, code: "invalid_field", fragment: "writeKey must be a string"),
        Case(name: "unreadable timestamp", body: json(call("track", "m", extra: ["timestamp": "last tuesday"])), status: 400, code: "invalid_field", fragment: "timestamp is not a date"),
        Case(name: "batch-level context not an object", path: "/v1/batch", body: json(["batch": [call("track", "m")], "context": "web"]), status: 400, code: "invalid_field", fragment: "batch-level context must be an object"),
        Case(name: "group without groupId", path: "/v1/group", body: json(["userId": "u", "messageId": "m"]), status: 400, code: "missing_field", fragment: "needs a groupId"),
        Case(name: "traits as an array", path: "/v1/identify", body: json(["userId": "u", "traits": [1, 2]]), status: 400, code: "invalid_field", fragment: "traits must be an object, not an array"),
        Case(name: "trailing garbage", body: text(#"{"userId":"u","event":"x"} extra"#), status: 400, code: "invalid_json", fragment: "unexpected data after"),
    ]

    @Test(arguments: cases)
    func answersWithStatusCodeAndMessage(_ testCase: Case) async throws {
        let fixture = try IngestFixture()
        try await fixture.run { client in
            let reply = try await client.post(testCase.path, testCase.body, authorization: testCase.authorization, contentType: testCase.contentType, encoding: testCase.encoding)
            #expect(reply.status == testCase.status)
            let body = try #require(reply.json, "error body is not JSON: \(reply.text)")
            #expect(body["code"]?.stringValue == testCase.code)
            let message = try #require(body["message"]?.stringValue)
            #expect(message.contains(testCase.fragment), "message was: \(message)")
            #expect(!message.contains("not-a-real-key") && !message.contains(webKey))
            // Still serving, and nothing of the bad request was stored.
            let after = try await client.post("/v1/track", json: call("track", "after"))
            #expect(after.status == 200)
        }
        #expect(try await fixture.store.events(.init(limit: 5)).map(\.record.messageId) == ["after"])
    }

    @Test func thereAreAtLeastTwentyFiveCases() {
        #expect(Self.cases.count >= 25)
    }
}
