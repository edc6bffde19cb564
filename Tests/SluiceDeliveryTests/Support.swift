import Foundation
import SluiceDelivery
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization

let intercomKey = String(repeating: "a", count: 36) + "1a0e"

func temporaryStore() throws -> SQLiteEventStore {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-delivery-\(UUID().uuidString)/db.sqlite").path
    return try SQLiteEventStore(path: path, options: SQLiteStoreOptions(durability: .normal))
}

func intercomSettings(_ extra: JSONObject = [:]) -> JSONObject {
    var object: JSONObject = ["enabled": true, "apiKey": .string(intercomKey), "appId": "abcd1234", "baseURL": "http://fake.test/intercom"]
    for entry in extra { object[entry.key] = entry.value }
    return object
}

func save(_ store: SQLiteEventStore, _ destination: String, _ settings: JSONObject) async throws {
    try await store.saveSettings(destination: destination, json: JSONWriter.string(.object(settings)), changedFields: settings.keys, osUser: "test", origin: "test")
}

func ingest(_ store: SQLiteEventStore, _ calls: [JSON]) async throws {
    let now = Date()
    let records = try calls.map { call in
        let normalized = try IngestNormalizer.normalize(call, pathType: nil, envelope: BatchEnvelope(receivedAt: now))
        return EventRecord(source: "test", normalized: normalized, receivedAt: now)
    }
    _ = try await store.append(records)
}

func identify(_ user: String, _ id: String, traits: JSONObject = [:]) -> JSON {
    var allTraits: JSONObject = ["email": .string("\(user)@example.com"), "name": "Test User"]
    for entry in traits { allTraits[entry.key] = entry.value }
    return ["type": "identify", "userId": .string(user), "messageId": .string(id), "traits": .object(allTraits)]
}

func track(_ user: String, _ id: String, event: String = "Clicked") -> JSON {
    ["type": "track", "userId": .string(user), "messageId": .string(id), "event": .string(event)]
}

/// A tiny in-memory Intercom: contacts by external_id, events only for known users, plus
/// scripted failures.
final class FakeIntercom: HTTPTransport, Sendable {
    struct State {
        var contacts: [String: JSONObject] = [:]
        var events: [(user: String, name: String)] = []
        var requests: [String] = []
        var trackBeforeIdentify = 0
        var failNext: [Int] = []
        var failureRate = 0.0
        var rejectAllWith: Int?
    }

    let state = Mutex(State())

    func send(_ request: HTTPRequest, timeout: Duration) async throws -> HTTPResponse {
        let path = request.pathAndQuery.replacingOccurrences(of: "/intercom", with: "")
        let body = request.jsonBody
        return state.withLock { state -> HTTPResponse in
            state.requests.append("\(request.method.rawValue) \(path)")
            if let status = state.rejectAllWith {
                return HTTPResponse(status: status, json: ["type": "error.list", "errors": [["code": "unauthorized", "message": "Access Token Invalid"]]])
            }
            if !state.failNext.isEmpty {
                let status = state.failNext.removeFirst()
                return HTTPResponse(status: status, json: ["type": "error.list", "errors": [["code": "server_error", "message": "scripted failure"]]])
            }
            if state.failureRate > 0, Double.random(in: 0..<1) < state.failureRate {
                return HTTPResponse(status: 503, json: ["type": "error.list", "errors": [["code": "service_unavailable", "message": "random failure"]]])
            }
            switch (request.method, path) {
            case (.POST, "/contacts/search"):
                let value = body?["query"]?["value"]?.stringValue ?? ""
                let field = body?["query"]?["field"]?.stringValue ?? ""
                let found = field == "external_id" ? state.contacts[value] : state.contacts.values.first { $0["email"]?.stringValue == value }
                let data: [JSON] = found.map { [.object($0)] } ?? []
                return HTTPResponse(status: 200, json: ["type": "list", "data": .array(data), "total_count": .int(Int64(data.count))])
            case (.POST, "/contacts"):
                guard let object = body?.objectValue, let external = object["external_id"]?.stringValue else {
                    return HTTPResponse(status: 400, json: ["type": "error.list", "errors": [["code": "parameter_invalid", "message": "no external_id"]]])
                }
                if state.contacts[external] != nil {
                    return HTTPResponse(status: 409, json: ["type": "error.list", "errors": [["code": "conflict", "message": "A contact matching those details already exists"]]])
                }
                var contact = object
                contact["id"] = .string("c-\(external)")
                state.contacts[external] = contact
                return HTTPResponse(status: 200, json: .object(contact))
            case (.PUT, let p) where p.hasPrefix("/contacts/"):
                let id = String(p.dropFirst("/contacts/".count))
                guard let key = state.contacts.first(where: { $0.value["id"]?.stringValue == id })?.key else { return HTTPResponse(status: 404, json: [:]) }
                for entry in body?.objectValue ?? [:] { state.contacts[key]?[entry.key] = entry.value }
                return HTTPResponse(status: 200, json: .object(state.contacts[key]!))
            case (.POST, "/events"):
                let user = body?["user_id"]?.stringValue ?? ""
                guard state.contacts[user] != nil else {
                    state.trackBeforeIdentify += 1
                    return HTTPResponse(status: 404, json: ["type": "error.list", "errors": [["code": "not_found", "message": "User Not Found"]]])
                }
                state.events.append((user, body?["event_name"]?.stringValue ?? ""))
                return HTTPResponse(status: 202)
            default:
                return HTTPResponse(status: 404, json: ["type": "error.list", "errors": [["code": "not_found", "message": .string("no route \(path)")]]])
            }
        }
    }
}

/// Runs the engine until `condition` holds or the timeout passes.
func runEngine(_ engine: DeliveryEngine, timeout: Duration = .seconds(20), until condition: @Sendable () async throws -> Bool) async throws -> Bool {
    let task = Task { try await engine.run() }
    defer { task.cancel() }
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}

func fastRetries() -> EngineOptions {
    var options = EngineOptions()
    options.retry = RetryPolicy(baseDelay: 0.01, maxDelay: 0.05, maxAge: 3600)
    options.settingsPollInterval = .milliseconds(50)
    options.attemptFlushInterval = .milliseconds(50)
    options.rateLimitScale = 100
    return options
}
