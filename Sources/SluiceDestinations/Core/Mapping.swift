import Foundation
import SluiceSpec

/// What became of one call at one destination. Nothing is dropped silently: a skip or a hold
/// always carries a reason an operator can read.
public enum MappingOutcome: Sendable, Hashable {
    /// The destination accepted the writes. `notes` are facts worth showing in the inspector,
    /// e.g. properties Intercom will not display.
    case delivered(notes: [String])
    /// Deliberately not sent.
    case skipped(reason: String)
    /// Not sendable yet; the engine keeps it and retries when `releaseKey` is satisfied
    /// (ClientSuccess holds a user's track until that user's group is known).
    case held(reason: String, releaseKey: String)

    public static let delivered = MappingOutcome.delivered(notes: [])
}

/// A step answered with a status the mapping cannot continue past. The engine classifies it
/// (retry, dead letter) from the status; `message` is the API's own error text when it has one.
public struct HTTPStepFailure: Error, Sendable, CustomStringConvertible {
    public let request: HTTPRequest
    public let response: HTTPResponse
    public let message: String

    public init(request: HTTPRequest, response: HTTPResponse) {
        self.request = request.redacted()
        self.response = response
        self.message = APIErrorMessage.extract(from: response)
    }

    public var description: String {
        "\(request.method.rawValue) \(request.pathAndQuery) → \(response.status): \(message)"
    }
}

/// The human message inside the four APIs' error formats.
public enum APIErrorMessage {
    public static func extract(from response: HTTPResponse) -> String {
        guard let json = response.json else {
            let text = response.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "HTTP \(response.status)" : String(text.prefix(500))
        }
        // Intercom: {errors:[{code,message}]}; Help Scout: {message, _embedded:{errors:[{path,message}]}};
        // Zendesk: {error, description, details}; ClientSuccess: {created:false, message}.
        if let errors = json["errors"]?.arrayValue, let first = errors.first {
            let parts = [first["code"]?.stringValue, first["message"]?.stringValue].compactMap { $0 }
            if !parts.isEmpty { return parts.joined(separator: ": ") }
        }
        var parts: [String] = []
        if let message = json["message"]?.stringValue { parts.append(message) }
        if let details = json["_embedded"]?["errors"]?.arrayValue {
            for detail in details {
                let path = detail["path"]?.stringValue.map { $0 + " " } ?? ""
                if let message = detail["message"]?.stringValue { parts.append(path + message) }
            }
        }
        if let error = json["error"]?.scalarText ?? json["error"]?["title"]?.stringValue { parts.append(error) }
        if let description = json["description"]?.stringValue { parts.append(description) }
        if let details = json["details"] { parts.append(details.description) }
        return parts.isEmpty ? "HTTP \(response.status): \(String(response.text.prefix(300)))" : parts.joined(separator: "; ")
    }
}

/// Small persistent facts a destination keeps between calls (email → customer id, seen event
/// names, user → group). The engine backs it with the store; tests use `InMemoryMappingState`.
public protocol MappingState: AnyObject {
    func value(for key: String) -> JSON?
    func setValue(_ value: JSON?, for key: String)
}

public final class InMemoryMappingState: MappingState {
    public private(set) var values: [String: JSON] = [:]
    public init(_ values: [String: JSON] = [:]) { self.values = values }
    public func value(for key: String) -> JSON? { values[key] }
    public func setValue(_ value: JSON?, for key: String) { values[key] = value }
}

/// Where a mapping performs its HTTP steps. One context serves one destination; the engine
/// serializes calls per user, so a mapping never races itself for the same user.
public protocol MappingContext: AnyObject {
    /// Performs the request and returns whatever the API answered, errors included.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    var state: MappingState { get }
    var now: Date { get }
}

extension MappingContext {
    /// Sends and requires a 2xx; anything else becomes an `HTTPStepFailure` for the engine.
    @discardableResult
    public func sendExpectingSuccess(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await send(request)
        guard response.isSuccess else { throw HTTPStepFailure(request: request, response: response) }
        return response
    }
}
