import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SluiceServer
import SluiceSpec
import SluiceStore
import Testing

let webKey = "web-write-key-0123456789"
let mobileKey = "mobile-write-key-9876543210"

func temporaryDatabasePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString)/sluice.sqlite").path
}

func basic(_ key: String) -> String { "Basic " + Data((key + ":").utf8).base64EncodedString() }

struct TestReply: Sendable {
    var status: Int
    var text: String
    var headers: HTTPFields
    var json: JSON? { try? JSONParser.parse(text) }
}

/// One ingest server on a fresh SQLite store, driven through Hummingbird's in-process router.
struct IngestFixture {
    let store: SQLiteEventStore

    init() throws {
        store = try SQLiteEventStore(path: temporaryDatabasePath(), options: SQLiteStoreOptions(durability: .normal))
    }

    func run(_ body: @Sendable (Client) async throws -> Void) async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let configuration = IngestConfiguration(sources: [Source(name: "web", writeKey: webKey), Source(name: "mobile", writeKey: mobileKey)])
        let handler = IngestHandler(configuration: configuration, store: store, logger: logger)
        let app = Application(router: IngestServer.router(handler: handler, store: store), logger: logger)
        try await app.test(.router) { client in try await body(Client(client: client)) }
    }

    struct Client: Sendable {
        let client: any TestClientProtocol

        func post(_ path: String, _ body: [UInt8], authorization: String? = basic(webKey), contentType: String? = "application/json", encoding: String? = nil) async throws -> TestReply {
            var headers: HTTPFields = [:]
            if let authorization { headers[.authorization] = authorization }
            if let contentType { headers[.contentType] = contentType }
            if let encoding { headers[.contentEncoding] = encoding }
            let response = try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body))
            return TestReply(status: Int(response.status.code), text: String(buffer: response.body), headers: response.headers)
        }

        func post(_ path: String, json: JSON, authorization: String? = basic(webKey)) async throws -> TestReply {
            try await post(path, JSONWriter.bytes(json), authorization: authorization)
        }

        func expectOK(_ path: String, json: JSON, authorization: String? = basic(webKey), sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let reply = try await post(path, json: json, authorization: authorization)
            if reply.status != 200 { Issue.record("\(path) answered \(reply.status) \(reply.text)", sourceLocation: sourceLocation) }
        }

        func expectOK(_ path: String, _ body: [UInt8], contentType: String? = "application/json", encoding: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let reply = try await post(path, body, contentType: contentType, encoding: encoding)
            if reply.status != 200 { Issue.record("\(path) answered \(reply.status) \(reply.text)", sourceLocation: sourceLocation) }
        }

        func get(_ path: String) async throws -> TestReply {
            let response = try await client.executeRequest(uri: path, method: .get, headers: [:], body: nil)
            return TestReply(status: Int(response.status.code), text: String(buffer: response.body), headers: response.headers)
        }
    }
}

func call(_ type: String, _ id: String, extra: JSONObject = [:]) -> JSON {
    var object: JSONObject = ["type": .string(type), "messageId": .string(id), "userId": "user-1"]
    switch type {
    case "track": object["event"] = "Clicked"
    case "group": object["groupId"] = "g1"
    case "alias": object["previousId"] = "anon-1"
    default: break
    }
    for entry in extra { object[entry.key] = entry.value }
    return .object(object)
}
