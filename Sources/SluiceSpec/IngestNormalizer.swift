import Foundation

/// What a request carries besides its calls: batch-level `context`, `integrations` and `sentAt`.
public struct BatchEnvelope: Sendable {
    public var context: JSONObject?
    public var integrations: JSONObject?
    public var sentAt: JSON?
    public var receivedAt: Date

    public init(context: JSONObject? = nil, integrations: JSONObject? = nil, sentAt: JSON? = nil, receivedAt: Date) {
        self.context = context
        self.integrations = integrations
        self.sentAt = sentAt
        self.receivedAt = receivedAt
    }
}

/// A call ready to store: the validated event and its serialized JSON.
public struct NormalizedEvent: Sendable {
    public let event: Event
    public let json: [UInt8]
}

/// Turns one incoming call into the form Sluice stores, exactly as Segment's Tracking API would
/// accept it: batch-level fields merged in, `receivedAt` set by the server, `writeKey` removed.
public enum IngestNormalizer {
    public static func normalize(
        _ item: JSON,
        pathType: EventType?,
        envelope: BatchEnvelope,
        receivedAtText: String? = nil,
        newMessageId: () -> String = { "sluice-" + UUID().uuidString.lowercased() }
    ) throws(EventValidationError) -> NormalizedEvent {
        guard case .object(var payload) = item else {
            throw EventValidationError(.invalidField, "each call must be a JSON object, not \(item.typeName)")
        }
        if let pathType {
            if let given = payload["type"], given.stringValue != pathType.rawValue, !given.isNull {
                throw EventValidationError(.invalidType, "type \(given.description.prefix(40)) does not match the endpoint /v1/\(pathType.rawValue)")
            }
            payload["type"] = .string(pathType.rawValue)
        }
        payload.removeValue(forKey: "writeKey")
        if let batchContext = envelope.context {
            payload["context"] = merge(batchContext, under: payload["context"])
        }
        if let batchIntegrations = envelope.integrations {
            payload["integrations"] = merge(batchIntegrations, under: payload["integrations"])
        }
        if payload["sentAt"] == nil || payload["sentAt"] == .null, let sentAt = envelope.sentAt {
            payload["sentAt"] = sentAt
        }
        switch payload["messageId"] {
        case nil, .null, .string(""): payload["messageId"] = .string(newMessageId())
        default: break
        }
        payload["receivedAt"] = .string(receivedAtText ?? Timestamp.iso8601(envelope.receivedAt))

        let event = try Event(payload: payload)
        let json = JSONWriter.bytes(.object(payload))
        if json.count > EventLimits.maxEventBytes {
            throw EventValidationError(.eventTooLarge, "the call is \(json.count) bytes; the limit is 32 KB per call")
        }
        return NormalizedEvent(event: event, json: json)
    }

    /// The call's own keys win over the batch's; a call field that is not an object is kept
    /// as-is so validation can name it.
    private static func merge(_ batch: JSONObject, under item: JSON?) -> JSON {
        switch item {
        case nil, .null?: return .object(batch)
        case .object(var merged)?:
            for entry in batch where merged[entry.key] == nil { merged.appendUnique(entry.key, entry.value) }
            return .object(merged)
        case let other?: return other
        }
    }
}
