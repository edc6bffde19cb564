import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore
@testable import SluiceConsole

/// A fixed, plausible moment of a running engine, so screens render the same every time.
enum Fixtures {
    /// 2026-11-22 10:00:00 UTC.
    static let now: Millis = 1_795_341_600_000
    static let intercomKey = String(repeating: "k", count: 36) + "f00d"

    static let settingsText = """
        {
          "helpscout": {"enabled": true, "apiKey": "\(String(repeating: "h", count: 36))9a1b"},
          "zendesk": {"enabled": true, "subdomain": "acme", "email": "ops@acme.example", "password": "hunter2-but-longer"},
          "clientsuccess": {"enabled": false},
          "intercom": {"enabled": true, "apiKey": "\(intercomKey)", "appId": "abc12345", "defaultNestedHandling": "flatten"}
        }
        """

    static var settings: SettingsFile { try! SettingsFile(text: settingsText) }

    static func stats(_ id: DestinationID, delivered: (Int64) -> Int, failed: Int = 0) -> [StatsSecond] {
        let nowSecond = now / 1000
        return (nowSecond - 300...nowSecond).map { second in
            var stats = StatsSecond(destination: id.rawValue, second: second)
            stats.delivered = delivered(second)
            stats.received = stats.delivered + 2
            stats.skipped = 1
            stats.failed = second > nowSecond - 10 ? failed : 0
            stats.queueDepth = 42
            stats.inFlight = 3
            stats.oldestQueuedMs = 2_500
            stats.p50Ms = 38
            stats.p95Ms = 120
            stats.p99Ms = 410
            return stats
        }
    }

    static func attempt(_ id: Int64, status: Int?, type: String = "identify", user: String = "user-7", at offset: Int64 = 0) -> AttemptRecord {
        var record = AttemptRecord(
            destination: "intercom", at: now - 5_000 + offset, messageIds: ["msg-\(id)"], eventIds: [id], user: user, callType: type,
            method: "POST", url: "https://api.intercom.io/contacts",
            requestHeaders: [("Authorization", "Bearer ••••f00d"), ("Content-Type", "application/json")],
            requestBody: #"{"external_id":"user-7","email":"ada@example.com","custom_attributes":{"plan":"pro","seats":3}}"#,
            status: status, responseHeaders: [("X-RateLimit-Remaining", "120")],
            responseBody: status == 200 ? #"{"type":"contact","id":"c1"}"# : #"{"type":"error.list","errors":[{"code":"parameter_invalid","message":"Invalid email"}]}"#,
            latencyMs: 37.5, attempt: 1, outcome: status == 200 ? "delivered" : "dead-lettered")
        record.id = id
        return record
    }

    static func deadLetter(_ id: Int64, status: Int, error: String, user: String = "user-9") -> Job {
        Job(id: id, destination: "intercom", lane: user, eventId: id + 1000, type: .track, messageId: "msg-\(id)", state: .dead,
            attempts: 3, enqueuedAt: now - 600_000, nextAttemptAt: now - 500_000, lastStatus: status, lastError: error,
            lastResponse: #"{"errors":[{"message":"\#(error)"}]}"#, deadAt: now - 90_000)
    }

    static func event(_ id: Int64, type: EventType, user: String, extra: String) -> StoredEvent {
        let payload = #"{"type":"\#(type.rawValue)","userId":"\#(user)","messageId":"m\#(id)",\#(extra)}"#
        return StoredEvent(id: id, record: EventRecord(source: "web", messageId: "m\(id)", type: type, userId: user, anonymousId: nil,
                                                        receivedAt: now - 1_000 * (20 - id), payload: Array(payload.utf8)))
    }

    static var data: ConsoleData {
        var data = ConsoleData()
        data.now = now
        data.settings = settings
        data.settingsVersion = 7
        data.audit = [
            SettingsAuditEntry(at: now - 60_000, osUser: "ada", destination: "intercom", field: "defaultNestedHandling", origin: "console"),
            SettingsAuditEntry(at: now - 3_600_000, osUser: "grace", destination: "intercom", field: "apiKey", origin: "cli"),
        ]
        data.stats[.helpscout] = stats(.helpscout) { _ in 0 }
        data.stats[.zendesk] = stats(.zendesk, delivered: { _ in 2 }, failed: 8)
        data.stats[.intercom] = stats(.intercom) { second in Int((second % 60) / 4) + 3 }
        data.skipReasons[.intercom] = [(reason: "Intercom needs a userId or an email", count: 12), (reason: "integrations.Intercom is false", count: 3)]
        data.rateLimits[.intercom] = [
            RateLimitSnapshot(destination: "intercom", window: "per10s", label: "requests per 10 seconds", documentedLimit: 166,
                              operatorLimit: 150, headerLimit: 166, remaining: 40, resetAt: now + 6_000, recent429s: 0, throttledUntil: nil,
                              updatedAt: now - 500),
        ]
        data.deadLetterCounts = [.intercom: 2]
        data.attempts = [
            attempt(31, status: 200),
            attempt(30, status: 429, type: "track", user: "user-3", at: -1_000),
            attempt(29, status: 422, type: "track", user: "user-9", at: -2_000),
            attempt(28, status: nil, type: "group", user: "user-4", at: -3_000),
        ]
        data.deadLetters = [
            deadLetter(501, status: 422, error: "Intercom: 422 parameter_invalid: Invalid email"),
            deadLetter(502, status: 404, error: "Intercom: 404 not_found: User Not Found", user: "user-12"),
        ]
        data.events = [
            event(19, type: .track, user: "user-7", extra: #""event":"Order Completed","properties":{"total":42.5}"#),
            event(18, type: .identify, user: "user-7", extra: #""traits":{"email":"ada@example.com","name":"Ada"}"#),
            event(17, type: .page, user: "user-3", extra: #""name":"Pricing""#),
        ]
        data.eventCount = 12_345
        return data
    }

    static func dashboard(pane: Pane = .live, selected: DestinationID = .intercom, focus: Dashboard.Focus = .pane) -> Dashboard {
        var dashboard = Dashboard(themeName: "default", refreshSeconds: 1, databaseLabel: "/var/lib/sluice/sluice.sqlite")
        dashboard.now = now
        dashboard.apply(.data(data))
        dashboard.status = nil
        _ = dashboard.select(selected)
        dashboard.data = data
        _ = dashboard.show(pane: pane)
        dashboard.focus = focus
        return dashboard
    }
}
