import Foundation

/// The six Segment call types.
public enum EventType: String, Sendable, CaseIterable, Codable {
    case identify, track, page, screen, group, alias
}

/// A validated Segment call. `payload` is the complete, normalized JSON as stored; the typed
/// fields are the ones every layer needs for routing and indexing.
public struct Event: Sendable, Hashable {
    public let type: EventType
    public let messageId: String
    public let userId: String?
    public let anonymousId: String?
    public let payload: JSONObject

    /// Validates a complete payload (as stored, or as built by a test).
    public init(payload: JSONObject) throws(EventValidationError) {
        guard let typeValue = payload["type"] else {
            throw EventValidationError(.missingField, "type is required (identify, track, page, screen, group or alias)")
        }
        guard let typeName = typeValue.stringValue, let type = EventType(rawValue: typeName) else {
            throw EventValidationError(.invalidType, "type must be one of identify, track, page, screen, group, alias; got \(typeValue.description.prefix(40))")
        }
        let userId = try EventValidator.identifier(payload, "userId")
        let anonymousId = try EventValidator.identifier(payload, "anonymousId")
        guard userId != nil || anonymousId != nil else {
            throw EventValidationError(.noUserAnonId, "every call needs a userId or an anonymousId")
        }
        guard let messageId = try EventValidator.identifier(payload, "messageId") else {
            throw EventValidationError(.missingField, "messageId is required")
        }
        try EventValidator.validateFields(payload, type: type)
        self.type = type
        self.messageId = messageId
        self.userId = userId
        self.anonymousId = anonymousId
        self.payload = payload
    }

    public subscript(key: String) -> JSON? { payload[key] }

    public var context: JSONObject { payload["context"]?.objectValue ?? JSONObject() }
    public var integrations: JSONObject { payload["integrations"]?.objectValue ?? JSONObject() }
    public var properties: JSONObject { payload["properties"]?.objectValue ?? JSONObject() }

    /// Traits of an identify or group call. RudderStack sends identify traits only in
    /// `context.traits`, so those fill in whatever top-level `traits` lacks.
    public var traits: JSONObject {
        let top = payload["traits"]?.objectValue
        guard let contextTraits = context["traits"]?.objectValue, !contextTraits.isEmpty else {
            return top ?? JSONObject()
        }
        guard var merged = top, !merged.isEmpty else { return contextTraits }
        for entry in contextTraits where merged[entry.key] == nil { merged.appendUnique(entry.key, entry.value) }
        return merged
    }

    public var event: String? { payload["event"]?.stringValue }
    public var name: String? { payload["name"]?.stringValue }
    public var category: String? { payload["category"]?.stringValue }
    public var groupId: String? { payload["groupId"]?.scalarText }
    public var previousId: String? { payload["previousId"]?.scalarText }

    public var timestamp: Date? { payload["timestamp"].flatMap(Timestamp.parse) }
    public var originalTimestamp: Date? { payload["originalTimestamp"].flatMap(Timestamp.parse) }
    public var sentAt: Date? { payload["sentAt"].flatMap(Timestamp.parse) }
    public var receivedAt: Date? { payload["receivedAt"].flatMap(Timestamp.parse) }

    /// The event's time as the sender meant it: `timestamp`, else `originalTimestamp`, else
    /// when Sluice received it.
    public var effectiveTimestamp: Date? { timestamp ?? originalTimestamp ?? receivedAt }

    /// The user this call is about, for per-user ordering: userId, else anonymousId.
    public var userKey: String { userId ?? anonymousId ?? "" }
}

/// Why a call was rejected; `code` is machine-readable and `message` names the field and the fix.
public struct EventValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidJSON = "invalid_json"
        case invalidType = "invalid_type"
        case invalidField = "invalid_field"
        case missingField = "missing_field"
        case noUserAnonId = "no_user_anon_id"
        case messageIdTooLong = "message_id_too_long"
        case eventTooLarge = "event_too_large"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

public enum EventLimits {
    public static let maxEventBytes = 32 * 1024
    public static let maxMessageIdLength = 100
}

enum EventValidator {
    static let objectFields = ["context", "integrations", "traits", "properties"]
    static let timestampFields = ["timestamp", "originalTimestamp", "sentAt"]
    static let stringFields = ["event", "name", "category"]

    /// userId, anonymousId, messageId: a string, or a number that SDKs sometimes send for ids.
    static func identifier(_ payload: JSONObject, _ field: String) throws(EventValidationError) -> String? {
        guard let value = payload[field] else { return nil }
        switch value {
        case .null: return nil
        case .string(let s):
            if field == "messageId", s.count > EventLimits.maxMessageIdLength {
                throw EventValidationError(.messageIdTooLong, "messageId is \(s.count) characters; the limit is \(EventLimits.maxMessageIdLength)")
            }
            return s.isEmpty ? nil : s
        case .int, .double: return value.scalarText
        default:
            throw EventValidationError(.invalidField, "\(field) must be a string, not \(value.typeName)")
        }
    }

    static func validateFields(_ payload: JSONObject, type: EventType) throws(EventValidationError) {
        for field in objectFields {
            if let value = payload[field], !value.isNull, value.objectValue == nil {
                throw EventValidationError(.invalidField, "\(field) must be an object, not \(value.typeName)")
            }
        }
        for field in stringFields {
            if let value = payload[field], !value.isNull, value.stringValue == nil {
                throw EventValidationError(.invalidField, "\(field) must be a string, not \(value.typeName)")
            }
        }
        for field in timestampFields {
            guard let value = payload[field], !value.isNull else { continue }
            if Timestamp.parse(value) == nil {
                throw EventValidationError(.invalidField, "\(field) is not a date Sluice can read (use ISO-8601): \(value.description.prefix(40))")
            }
        }
        switch type {
        case .track:
            guard let name = payload["event"]?.stringValue, !name.isEmpty else {
                throw EventValidationError(.missingField, "a track call needs an \"event\" name")
            }
        case .group:
            try requireIdentifier(payload, "groupId", "a group call needs a groupId")
        case .alias:
            try requireIdentifier(payload, "previousId", "an alias call needs a previousId")
        case .identify, .page, .screen:
            break
        }
    }

    private static func requireIdentifier(_ payload: JSONObject, _ field: String, _ message: String) throws(EventValidationError) {
        switch payload[field] {
        case .string(let s) where !s.isEmpty: return
        case .int, .double: return
        case nil, .null, .string: throw EventValidationError(.missingField, message)
        case let value?: throw EventValidationError(.invalidField, "\(field) must be a string, not \(value.typeName)")
        }
    }
}
