import Foundation
import SluiceSpec

/// What one call would send to one destination, without sending anything.
public struct PreviewResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case mapped(MappingOutcome)
        /// The mapping threw; the text is the error as the engine would record it.
        case failed(String)
    }

    public let destination: DestinationID
    /// The requests in order, redacted: every secret masked.
    public let requests: [HTTPRequest]
    public let outcome: Outcome
    /// What makes the preview differ from a real delivery (defaults used, destination disabled).
    public let warnings: [String]

    public init(destination: DestinationID, requests: [HTTPRequest], outcome: Outcome, warnings: [String]) {
        self.destination = destination
        self.requests = requests
        self.outcome = outcome
        self.warnings = warnings
    }
}

/// Runs a destination's mapping against a recording context whose lookups find nothing and
/// whose writes succeed, so an operator sees the requests a call produces.
public enum Preview {
    public static func run(_ event: Event, to id: DestinationID, settings file: SettingsFile,
                           now: Date = Date()) async -> PreviewResult {
        var warnings: [String] = []
        if let settings = file.settings(for: id) {
            if !settings.common.enabled { warnings.append("\(id.displayName) is disabled; the engine would not send this call") }
        } else {
            warnings.append("\(id.displayName) is not in the settings file; previewing with its defaults and no credentials")
        }
        let context = RecordingContext(now: now, responder: previewResponder)
        let outcome: PreviewResult.Outcome
        do {
            outcome = .mapped(try await Destinations.map(event, to: id, settings: file, context: context, requireEnabled: false))
        } catch {
            outcome = .failed(String(describing: error))
        }
        return PreviewResult(destination: id, requests: context.requests.map { $0.redacted() }, outcome: outcome, warnings: warnings)
    }

    /// Every destination, in their usual order.
    public static func runAll(_ event: Event, settings file: SettingsFile, now: Date = Date()) async -> [PreviewResult] {
        var results: [PreviewResult] = []
        for id in DestinationID.allCases { results.append(await run(event, to: id, settings: file, now: now)) }
        return results
    }

    /// `RecordingContext.previewResponder`, plus a placeholder answer from OAuth token
    /// endpoints so a mapping can show the requests that follow authentication.
    static func previewResponder(_ request: HTTPRequest) -> HTTPResponse {
        if request.method == .POST, request.pathAndQuery.hasSuffix("/oauth2/token") {
            return HTTPResponse(status: 200, json: ["token_type": "bearer", "access_token": "preview-access-token", "expires_in": 172_800])
        }
        return RecordingContext.previewResponder(request)
    }

    /// The preview as text: a heading with the outcome, then each request's method, URL,
    /// headers and pretty-printed body.
    public static func render(_ result: PreviewResult) -> String {
        var lines = ["\(result.destination.displayName): \(describe(result.outcome))"]
        for warning in result.warnings { lines.append("! " + warning) }
        if result.requests.isEmpty { lines.append("(no requests)") }
        for (index, request) in result.requests.enumerated() {
            lines.append("")
            lines.append("\(index + 1). \(request.method.rawValue) \(request.url)")
            for header in request.headers { lines.append("   \(header.name): \(header.value)") }
            if let body = request.body {
                lines.append("")
                lines.append(contentsOf: bodyText(body).split(separator: "\n", omittingEmptySubsequences: false).map { "   " + $0 })
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ outcome: PreviewResult.Outcome) -> String {
        switch outcome {
        case .mapped(.delivered(let notes)): return notes.isEmpty ? "delivered" : "delivered (\(notes.joined(separator: "; ")))"
        case .mapped(.skipped(let reason)): return "skipped: \(reason)"
        case .mapped(.held(let reason, _)): return "held: \(reason)"
        case .failed(let message): return "failed: \(message)"
        }
    }

    private static func bodyText(_ body: HTTPBody) -> String {
        switch body {
        case .json(let json): return JSONWriter.pretty(json)
        case .form(let fields): return fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        }
    }
}
