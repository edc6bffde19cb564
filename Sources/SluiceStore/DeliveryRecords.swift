import Foundation
import SluiceSpec

/// Milliseconds since the epoch; the store's time unit.
public typealias Millis = Int64

extension Date {
    public var millis: Millis { Millis((timeIntervalSince1970 * 1000).rounded(.down)) }
    public init(millis: Millis) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}

/// Where one event stands at one destination. Delivered and skipped jobs are deleted; what
/// remains is waiting (`queued`), parked until a release (`held`), or given up (`dead`).
public enum JobState: String, Sendable, Hashable, CaseIterable {
    case queued, held, dead
}

/// One event's delivery to one destination. `lane` is the user key: jobs of one lane are
/// delivered strictly in `id` order.
public struct Job: Sendable, Hashable {
    public var id: Int64
    public var destination: String
    public var lane: String
    public var eventId: Int64
    public var type: EventType
    public var messageId: String
    public var state: JobState
    public var attempts: Int
    public var enqueuedAt: Millis
    public var nextAttemptAt: Millis
    public var releaseKey: String?
    public var holdUntil: Millis?
    public var lastStatus: Int?
    public var lastError: String?
    public var lastResponse: String?
    public var deadAt: Millis?

    public init(id: Int64, destination: String, lane: String, eventId: Int64, type: EventType, messageId: String,
                state: JobState = .queued, attempts: Int = 0, enqueuedAt: Millis, nextAttemptAt: Millis,
                releaseKey: String? = nil, holdUntil: Millis? = nil, lastStatus: Int? = nil, lastError: String? = nil,
                lastResponse: String? = nil, deadAt: Millis? = nil) {
        self.id = id
        self.destination = destination
        self.lane = lane
        self.eventId = eventId
        self.type = type
        self.messageId = messageId
        self.state = state
        self.attempts = attempts
        self.enqueuedAt = enqueuedAt
        self.nextAttemptAt = nextAttemptAt
        self.releaseKey = releaseKey
        self.holdUntil = holdUntil
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.lastResponse = lastResponse
        self.deadAt = deadAt
    }
}

/// A routing decision for one stored event: a job to create, or a skip to count.
public enum RouteDecision: Sendable, Hashable {
    case enqueue(destination: String, lane: String)
    case skip(destination: String, reason: String)
}

/// A change to a job after an attempt, applied in batches.
public enum JobUpdate: Sendable, Hashable {
    case finished(id: Int64)
    case retry(id: Int64, attempts: Int, nextAttemptAt: Millis, status: Int?, error: String, response: String?)
    case hold(id: Int64, releaseKey: String, holdUntil: Millis, reason: String)
    case dead(id: Int64, attempts: Int, status: Int?, error: String, response: String?, at: Millis)
}

/// One HTTP exchange, as the inspector shows it. Headers and bodies are already redacted.
public struct AttemptRecord: Sendable, Hashable {
    public var id: Int64 = 0
    public var destination: String
    public var at: Millis
    public var messageIds: [String]
    public var eventIds: [Int64]
    public var user: String
    public var callType: String
    public var method: String
    public var url: String
    public var requestHeaders: [(String, String)]
    public var requestBody: String
    public var status: Int?
    public var responseHeaders: [(String, String)]
    public var responseBody: String
    public var latencyMs: Double
    public var attempt: Int
    public var outcome: String
    public var notes: [String]

    public init(destination: String, at: Millis, messageIds: [String], eventIds: [Int64], user: String, callType: String,
                method: String, url: String, requestHeaders: [(String, String)], requestBody: String, status: Int?,
                responseHeaders: [(String, String)], responseBody: String, latencyMs: Double, attempt: Int,
                outcome: String, notes: [String] = []) {
        self.destination = destination
        self.at = at
        self.messageIds = messageIds
        self.eventIds = eventIds
        self.user = user
        self.callType = callType
        self.method = method
        self.url = url
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
        self.latencyMs = latencyMs
        self.attempt = attempt
        self.outcome = outcome
        self.notes = notes
    }

    public static func == (lhs: AttemptRecord, rhs: AttemptRecord) -> Bool { lhs.id == rhs.id && lhs.at == rhs.at && lhs.url == rhs.url }
    public func hash(into hasher: inout Hasher) { hasher.combine(id); hasher.combine(at); hasher.combine(url) }
}

/// One destination's counters for one second.
public struct StatsSecond: Sendable, Hashable {
    public var destination: String
    public var second: Int64
    public var received = 0
    public var delivered = 0
    public var skipped = 0
    public var retried = 0
    public var failed = 0
    public var deadLettered = 0
    public var inFlight = 0
    public var queueDepth = 0
    public var oldestQueuedMs: Int64 = 0
    public var p50Ms: Double = 0
    public var p95Ms: Double = 0
    public var p99Ms: Double = 0

    public init(destination: String, second: Int64) {
        self.destination = destination
        self.second = second
    }
}

/// The rate-limit headroom the engine believes in for one window, for the console.
public struct RateLimitSnapshot: Sendable, Hashable {
    public var destination: String
    public var window: String
    public var label: String
    public var documentedLimit: Int
    public var operatorLimit: Int
    public var headerLimit: Int?
    public var remaining: Int?
    public var resetAt: Millis?
    public var recent429s: Int
    public var throttledUntil: Millis?
    public var updatedAt: Millis

    public init(destination: String, window: String, label: String, documentedLimit: Int, operatorLimit: Int, headerLimit: Int?,
                remaining: Int?, resetAt: Millis?, recent429s: Int, throttledUntil: Millis?, updatedAt: Millis) {
        self.destination = destination
        self.window = window
        self.label = label
        self.documentedLimit = documentedLimit
        self.operatorLimit = operatorLimit
        self.headerLimit = headerLimit
        self.remaining = remaining
        self.resetAt = resetAt
        self.recent429s = recent429s
        self.throttledUntil = throttledUntil
        self.updatedAt = updatedAt
    }
}

public struct SettingsRecord: Sendable, Hashable {
    public var destination: String
    public var json: String
    public var version: Int64
    public var updatedAt: Millis
}

public struct SettingsAuditEntry: Sendable, Hashable {
    public var at: Millis
    public var osUser: String
    public var destination: String
    public var field: String
    public var origin: String

    public init(at: Millis, osUser: String, destination: String, field: String, origin: String) {
        self.at = at
        self.osUser = osUser
        self.destination = destination
        self.field = field
        self.origin = origin
    }
}

/// Filters for dead letters, shared by the CLI and the console.
public struct DeadLetterFilter: Sendable, Hashable {
    public var destination: String?
    /// Matches the status code exactly when numeric, else a substring of the error message.
    public var error: String?
    public var since: Millis?
    public var until: Millis?
    public var ids: [Int64]?
    public var limit: Int

    public init(destination: String? = nil, error: String? = nil, since: Millis? = nil, until: Millis? = nil, ids: [Int64]? = nil, limit: Int = 1_000) {
        self.destination = destination
        self.error = error
        self.since = since
        self.until = until
        self.ids = ids
        self.limit = limit
    }
}
