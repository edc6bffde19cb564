import Foundation
import SluiceDestinations
import SluiceSpec
import Testing

/// A fake API for mapping tests: answers are scripted per "METHOD path-prefix", consumed in
/// order (the last one repeats), and an unscripted request is a test failure.
final class ScriptedContext: MappingContext {
    private(set) var requests: [HTTPRequest] = []
    let state: MappingState
    var now: Date
    private var scripts: [(method: HTTPMethod, pathPrefix: String, responses: [HTTPResponse])] = []

    init(now: Date = Date(timeIntervalSince1970: 1_700_000_000), state: MappingState = InMemoryMappingState()) {
        self.now = now
        self.state = state
    }

    /// Scripts the answer to requests whose path (and query) starts with `pathPrefix`.
    func on(_ method: HTTPMethod, _ pathPrefix: String, _ responses: HTTPResponse...) {
        scripts.append((method, pathPrefix, responses))
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        requests.append(request)
        let path = request.pathAndQuery
        // The longest matching prefix wins, so a specific script overrides a general one.
        let candidates = scripts.indices.filter { scripts[$0].method == request.method && path.hasPrefix(scripts[$0].pathPrefix) }
        guard let index = candidates.max(by: { scripts[$0].pathPrefix.count < scripts[$1].pathPrefix.count }) else {
            Issue.record("unscripted request: \(request.method.rawValue) \(path)")
            return HTTPResponse(status: 599, json: ["message": "unscripted request in test"])
        }
        let responses = scripts[index].responses
        if responses.count > 1 { scripts[index].responses.removeFirst() }
        return responses[0]
    }

    /// Requests as "METHOD path" lines, for compact order assertions.
    var lines: [String] { requests.map { "\($0.method.rawValue) \($0.pathAndQuery)" } }
}

/// Builds an Event from a JSON literal, failing the test on invalid input.
func makeEvent(_ payload: JSONObject) throws -> Event {
    var payload = payload
    if payload["messageId"] == nil { payload["messageId"] = "msg-1" }
    return try Event(payload: payload)
}
