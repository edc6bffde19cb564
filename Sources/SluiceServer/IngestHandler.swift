import Foundation
import Logging
import SluiceSpec
import SluiceStore

/// The Segment Tracking API's request handling, independent of the HTTP framework: it turns
/// one request (path, a few headers, the body) into a reply. Every failure is a JSON
/// `{"code","message"}` that names the problem.
public struct IngestHandler: Sendable {
    public enum Endpoint: Sendable, Equatable {
        case single(EventType)
        case batch
    }

    public struct Request: Sendable {
        public var endpoint: Endpoint
        public var authorization: String?
        public var contentType: String?
        public var contentEncoding: String?
        public var body: [UInt8]

        public init(endpoint: Endpoint, authorization: String? = nil, contentType: String? = "application/json", contentEncoding: String? = nil, body: [UInt8]) {
            self.endpoint = endpoint
            self.authorization = authorization
            self.contentType = contentType
            self.contentEncoding = contentEncoding
            self.body = body
        }
    }

    public struct Reply: Sendable, Equatable {
        public var status: Int
        public var body: [UInt8]
        public var retryAfterSeconds: Int?

        public var text: String { String(decoding: body, as: UTF8.self) }

        public init(status: Int, body: [UInt8], retryAfterSeconds: Int? = nil) {
            self.status = status
            self.body = body
            self.retryAfterSeconds = retryAfterSeconds
        }

        static let success = Reply(status: 200, body: Array(#"{"success":true}"#.utf8))

        static func error(_ status: Int, _ code: String, _ message: String, extra: JSONObject = [:]) -> Reply {
            var object: JSONObject = ["code": .string(code), "message": .string(message)]
            for entry in extra { object[entry.key] = entry.value }
            return Reply(status: status, body: JSONWriter.bytes(.object(object)))
        }
    }

    private let sourcesByKey: [String: Source]
    private let limits: IngestLimits
    private let store: any EventStore
    private let logger: Logger
    private let clock: @Sendable () -> Date

    public init(configuration: IngestConfiguration, store: any EventStore, logger: Logger = Logger(label: "sluice.ingest"), clock: @escaping @Sendable () -> Date = Date.init) {
        var byKey: [String: Source] = [:]
        for source in configuration.sources { byKey[source.writeKey] = source }
        sourcesByKey = byKey
        limits = configuration.limits
        self.store = store
        self.logger = logger
        self.clock = clock
    }

    public var maxRequestBytes: Int { limits.maxRequestBytes }

    public func handle(_ request: Request) async -> Reply {
        if let contentType = request.contentType, !Self.isJSONContentType(contentType) {
            return .error(415, "unsupported_media_type", "Content-Type must be application/json, not \(contentType.prefix(60))")
        }
        var basicKey: String?
        if let authorization = request.authorization {
            switch Self.parseAuthorization(authorization) {
            case .basic(let key): basicKey = key
            case .bearer: break  // OAuth: the write key must still be in the body.
            case .invalid(let message): return .error(401, "invalid_authorization", message)
            }
        }
        // A wrong Basic key is refused before the body is even decoded.
        if let basicKey, sourcesByKey[basicKey] == nil {
            return .error(401, "invalid_write_key", "the write key is not one of this server's sources; check the source's write key")
        }
        if request.body.count > limits.maxRequestBytes {
            return Self.tooLarge(limits)
        }
        var body = request.body
        switch request.contentEncoding?.lowercased().trimmingCharacters(in: .whitespaces) {
        case nil, "", "identity": break
        case "gzip", "x-gzip", "deflate":
            do {
                body = try Gzip.decompress(body, limit: limits.maxRequestBytes)
            } catch .tooLarge {
                return Self.tooLarge(limits, decompressed: true)
            } catch {
                return .error(400, "invalid_gzip", "the body says Content-Encoding: gzip but is not valid gzip data")
            }
        case let other?:
            return .error(415, "unsupported_encoding", "Content-Encoding \(other.prefix(40)) is not supported; send gzip or no encoding")
        }
        let document: JSON
        do {
            document = try JSONParser.parse(body, maxDepth: limits.maxJSONDepth)
        } catch {
            return .error(400, "invalid_json", "invalid JSON: \(error.description)")
        }
        guard case .object(let envelope) = document else {
            return .error(400, "invalid_json", "the body must be a JSON object, not \(document.typeName)")
        }
        let source: Source
        if let basicKey, let known = sourcesByKey[basicKey] {
            source = known
        } else {
            switch envelope["writeKey"] {
            case .string(let key)?:
                guard let known = sourcesByKey[key] else {
                    return .error(401, "invalid_write_key", "the write key is not one of this server's sources; check the source's write key")
                }
                source = known
            case nil, .null?:
                return .error(401, "missing_write_key", "no write key: send it as the HTTP Basic user name (\"writeKey:\") or as \"writeKey\" in the body")
            case let other?:
                return .error(400, "invalid_field", "writeKey must be a string, not \(other.typeName)")
            }
        }
        let receivedAt = clock()
        let receivedAtText = Timestamp.iso8601(receivedAt)
        switch request.endpoint {
        case .single(let type):
            let normalized: NormalizedEvent
            do {
                normalized = try IngestNormalizer.normalize(
                    document, pathType: type, envelope: BatchEnvelope(receivedAt: receivedAt), receivedAtText: receivedAtText)
            } catch {
                let status = error.code == .eventTooLarge ? 413 : 400
                return .error(status, error.code.rawValue, error.message)
            }
            return await store(source: source, records: [EventRecord(source: source.name, normalized: normalized, receivedAt: receivedAt)], rejected: [])
        case .batch:
            return await handleBatch(envelope, source: source, receivedAt: receivedAt, receivedAtText: receivedAtText)
        }
    }

    private func handleBatch(_ envelope: JSONObject, source: Source, receivedAt: Date, receivedAtText: String) async -> Reply {
        guard let batchValue = envelope["batch"] else {
            return .error(400, "invalid_batch", "the body needs a \"batch\" array of calls")
        }
        guard case .array(let items) = batchValue else {
            return .error(400, "invalid_batch", "\"batch\" must be an array, not \(batchValue.typeName)")
        }
        if items.count > limits.maxBatchEvents {
            return .error(400, "batch_too_large", "the batch has \(items.count) calls; the limit is \(limits.maxBatchEvents) per request")
        }
        var batchEnvelope = BatchEnvelope(receivedAt: receivedAt)
        for field in ["context", "integrations"] {
            switch envelope[field] {
            case nil, .null?: break
            case .object(let object)?:
                if field == "context" { batchEnvelope.context = object } else { batchEnvelope.integrations = object }
            case let other?:
                return .error(400, "invalid_field", "batch-level \(field) must be an object, not \(other.typeName)")
            }
        }
        batchEnvelope.sentAt = envelope["sentAt"]
        var records: [EventRecord] = []
        records.reserveCapacity(items.count)
        var rejected: [JSON] = []
        for (index, item) in items.enumerated() {
            do {
                let normalized = try IngestNormalizer.normalize(item, pathType: nil, envelope: batchEnvelope, receivedAtText: receivedAtText)
                records.append(EventRecord(source: source.name, normalized: normalized, receivedAt: receivedAt))
            } catch {
                var rejection: JSONObject = ["index": .int(Int64(index)), "code": .string(error.code.rawValue), "message": .string(error.message)]
                if case .object(let object) = item, let messageId = object["messageId"], !messageId.isNull {
                    rejection["messageId"] = messageId
                }
                rejected.append(.object(rejection))
            }
        }
        if records.isEmpty && !rejected.isEmpty {
            let first = rejected[0]["message"]?.stringValue ?? ""
            return .error(400, "invalid_batch", "no call in the batch is valid (\(rejected.count) rejected; first: \(first))",
                          extra: ["rejected": .array(rejected)])
        }
        return await store(source: source, records: records, rejected: rejected)
    }

    private func store(source: Source, records: [EventRecord], rejected: [JSON]) async -> Reply {
        do {
            _ = try await store.append(records, rejected: rejected.isEmpty ? [:] : [source.name: rejected.count])
        } catch let overloaded as StoreOverloaded {
            logger.warning("shedding load", metadata: ["source": "\(source.name)", "pending": "\(overloaded.pendingEvents)"])
            var reply = Reply.error(429, "overloaded", "Sluice is writing a backlog of events; retry after a second")
            reply.retryAfterSeconds = 1
            return reply
        } catch {
            logger.error("store append failed", metadata: ["source": "\(source.name)", "error": "\(error)"])
            return .error(503, "store_unavailable", "events could not be stored; retry later (\(String(describing: error).prefix(200)))")
        }
        if rejected.isEmpty { return .success }
        // Valid calls were stored; say which ones were not and why. Still 200: SDKs treat any
        // other status as a reason to resend the whole batch.
        let body: JSON = ["success": true, "rejected": .array(rejected)]
        return Reply(status: 200, body: JSONWriter.bytes(body))
    }

    private static func tooLarge(_ limits: IngestLimits, decompressed: Bool = false) -> Reply {
        .error(413, "request_too_large", "the \(decompressed ? "decompressed " : "")body is over \(limits.maxRequestBytes / 1024) KB, the limit per request; send smaller batches")
    }

    static func isJSONContentType(_ value: String) -> Bool {
        let mediaType = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        // analytics.js sends text/plain from browsers to avoid a CORS preflight.
        return mediaType == "application/json" || mediaType == "text/plain" || mediaType.isEmpty
    }

    enum Authorization: Equatable {
        case basic(String)
        case bearer
        case invalid(String)
    }

    static func parseAuthorization(_ header: String) -> Authorization {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return .invalid("the Authorization header must be \"Basic <base64 of writeKey:>\" or \"Bearer <token>\"") }
        switch parts[0].lowercased() {
        case "basic":
            guard let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
                  let decoded = String(data: data, encoding: .utf8)
            else {
                return .invalid("the Basic credentials are not valid base64 of \"writeKey:\"")
            }
            let key = decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            return key.isEmpty ? .invalid("the Basic credentials have an empty user name; the write key goes there") : .basic(key)
        case "bearer":
            return .bearer
        default:
            return .invalid("unsupported Authorization scheme; use Basic with the write key as user name")
        }
    }
}
