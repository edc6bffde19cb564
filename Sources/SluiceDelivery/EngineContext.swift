import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
import Synchronization

/// A destination's mapping state shared by all of its lanes: read from the store at start,
/// changes buffered and written back by the engine.
public final class SharedMappingState: MappingState, @unchecked Sendable {
    private let values: Mutex<(current: [String: JSON], dirty: Set<String>)>

    public init(_ initial: [String: String] = [:]) {
        var parsed: [String: JSON] = [:]
        for (key, text) in initial { parsed[key] = (try? JSONParser.parse(text)) ?? .string(text) }
        values = Mutex((parsed, []))
    }

    public func value(for key: String) -> JSON? { values.withLock { $0.current[key] } }

    public func setValue(_ value: JSON?, for key: String) {
        values.withLock { state in
            state.current[key] = value
            state.dirty.insert(key)
        }
    }

    /// The changes since the last call, as store rows (nil deletes).
    func takeChanges() -> [String: String?] {
        values.withLock { state in
            var changes: [String: String?] = [:]
            for key in state.dirty { changes[key] = state.current[key].map { JSONWriter.string($0) } }
            state.dirty.removeAll()
            return changes
        }
    }
}

/// An exchange as it happened. It is masked and truncated into an `AttemptRecord` only when
/// the inspector's ring keeps it: at high rates most exchanges are pushed out of the ring before
/// it is written, and formatting them would be wasted.
struct PendingAttempt: Sendable {
    var destination: DestinationID
    var at: Millis
    var jobs: [Job]
    var user: String
    var request: HTTPRequest
    var body: [UInt8]?
    var response: HTTPResponse?
    var latencyMs: Double
    var attempt: Int
    var outcome: String
    var notes: [String] = []

    func record() -> AttemptRecord {
        // One masker per exchange; text is masked as recorded, so the body is not masked as
        // JSON and then serialized again.
        let masker = SecretMasker(request.secrets)
        let bodyText = body.map { String(decoding: $0, as: UTF8.self) } ?? ""
        return AttemptRecord(
            destination: destination.rawValue, at: at, messageIds: jobs.map(\.messageId), eventIds: jobs.map(\.eventId),
            user: user, callType: jobs.first?.type.rawValue ?? "", method: request.method.rawValue, url: masker.mask(request.url),
            requestHeaders: request.maskedHeaders(by: masker).map { ($0.name, $0.value) },
            requestBody: EngineContext.truncated(masker.mask(bodyText)),
            status: response?.status,
            responseHeaders: CredentialMasking.maskHeaders(response?.headers.map { ($0.name, $0.value) } ?? []),
            responseBody: EngineContext.truncated(response.map { CredentialMasking.maskBody(masker.mask($0.text)) } ?? ""),
            latencyMs: latencyMs, attempt: attempt, outcome: outcome, notes: notes)
    }
}

/// The context one delivery runs in: every request goes through the destination's rate
/// limiter and transport and is recorded, redacted, for the inspector.
final class EngineContext: MappingContext {
    let state: MappingState
    var now: Date { Date() }
    private let destination: DestinationID
    private let limiter: RateLimiter
    private let transport: any HTTPTransport
    private let timeout: Duration
    private let jobs: [Job]
    private let user: String
    private let attempt: Int
    private(set) var records: [PendingAttempt] = []
    private(set) var lastResponse: HTTPResponse?
    private(set) var lastRequest: HTTPRequest?
    /// Time spent in the transport, for `StageTimings`.
    private(set) var exchangeTime: Duration = .zero

    static let maxRecordedBody = 64 * 1024

    init(destination: DestinationID, state: MappingState, limiter: RateLimiter, transport: any HTTPTransport, timeout: Duration, jobs: [Job], user: String, attempt: Int) {
        self.destination = destination
        self.state = state
        self.limiter = limiter
        self.transport = transport
        self.timeout = timeout
        self.jobs = jobs
        self.user = user
        self.attempt = attempt
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let isWrite = request.method != .GET && !request.url.hasSuffix("/search")
        let permit = try await limiter.acquire(isWrite: isWrite)
        let started = ContinuousClock.now
        let at = Date().millis
        lastRequest = request
        defer { exchangeTime += ContinuousClock.now - started }
        // Serialized once, for the wire and for the attempt record.
        let body = request.body?.bytes
        let response: HTTPResponse
        do {
            response = try await transport.send(request, serializedBody: body, timeout: timeout)
        } catch {
            limiter.complete(permit)
            record(request, body: body, response: nil, latency: (ContinuousClock.now - started).milliseconds, at: at, outcome: "transport error: \(error)")
            throw error
        }
        let latency = (ContinuousClock.now - started).milliseconds
        limiter.complete(permit)
        limiter.observe(status: response.status, headers: response.headers)
        lastResponse = response
        record(request, body: body, response: response, latency: latency, at: at,
               outcome: response.isSuccess ? "ok" : "http \(response.status)")
        return response
    }

    /// Marks the final outcome on the last record (delivered, skipped, retry, dead letter).
    func finish(outcome: String, notes: [String]) {
        guard !records.isEmpty else { return }
        records[records.count - 1].outcome = outcome
        records[records.count - 1].notes = notes
    }

    private func record(_ request: HTTPRequest, body: [UInt8]?, response: HTTPResponse?, latency: Double, at: Millis, outcome: String) {
        records.append(PendingAttempt(destination: destination, at: at, jobs: jobs, user: user, request: request, body: body,
                                      response: response, latencyMs: latency, attempt: attempt, outcome: outcome))
    }

    static func truncated(_ text: String) -> String {
        guard text.utf8.count > maxRecordedBody else { return text }
        return String(decoding: text.utf8.prefix(maxRecordedBody), as: UTF8.self) + "…[truncated]"
    }
}

extension Duration {
    var milliseconds: Double {
        let parts = components
        return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
    }
}
