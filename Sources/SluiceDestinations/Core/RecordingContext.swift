import Foundation
import SluiceSpec

/// A context that answers from a responder instead of the network and records every request.
/// Previews use it with "not found" answers; tests script it.
public final class RecordingContext: MappingContext {
    public private(set) var requests: [HTTPRequest] = []
    public let state: MappingState
    public var now: Date
    private let responder: (HTTPRequest) -> HTTPResponse

    public init(now: Date = Date(), state: MappingState = InMemoryMappingState(), responder: @escaping (HTTPRequest) -> HTTPResponse) {
        self.now = now
        self.state = state
        self.responder = responder
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        requests.append(request)
        return responder(request)
    }

    /// What a preview assumes: every lookup finds nothing and every write succeeds.
    public static func previewResponder(_ request: HTTPRequest) -> HTTPResponse {
        switch request.method {
        case .GET: return HTTPResponse(status: 404, json: ["message": "not found (preview)"])
        case .DELETE: return HTTPResponse(status: 204)
        case .POST, .PUT, .PATCH:
            // Searches are POSTs in some APIs (Intercom); answer them with an empty result.
            if request.url.hasSuffix("/search") {
                return HTTPResponse(status: 200, json: ["type": "list", "data": [], "total_count": 0])
            }
            return HTTPResponse(status: 200, json: ["id": "preview-id"])
        }
    }
}
