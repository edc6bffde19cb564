import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore

/// Everything the console reads from the store, as of one refresh. Screens render from this
/// and from their own state only, which is what makes them testable without a database.
public struct ConsoleData: Sendable {
    public var now: Millis = 0
    /// The destination the per-destination parts (attempts, dead letters, skip reasons) are for.
    public var destination: DestinationID?
    public var settings = SettingsFile()
    public var settingsVersion: Int64 = 0
    /// A settings row the core would not load, with the reason (shown, never fatal).
    public var settingsProblem: String?
    public var audit: [SettingsAuditEntry] = []
    /// The last five minutes per destination, oldest first.
    public var stats: [DestinationID: [StatsSecond]] = [:]
    public var skipReasons: [DestinationID: [(reason: String, count: Int)]] = [:]
    public var rateLimits: [DestinationID: [RateLimitSnapshot]] = [:]
    public var deadLetterCounts: [DestinationID: Int] = [:]
    /// Newest first, for the selected destination.
    public var attempts: [AttemptRecord] = []
    public var deadLetters: [Job] = []
    public var events: [StoredEvent] = []
    public var eventCount = 0
    public var loadError: String?

    public init() {}

    public static let historySeconds: Int64 = 300
}

/// What the console shows about one destination at a glance.
public enum Health: String, Sendable, Hashable {
    case delivering, idle, rateLimited = "rate-limited", failing, disabled, unconfigured = "not configured"

    public var role: Role {
        switch self {
        case .delivering: return .good
        case .idle: return .dim
        case .rateLimited: return .warn
        case .failing: return .bad
        case .disabled, .unconfigured: return .disabled
        }
    }

    /// Judged on the last 30 seconds: failing when most attempts end in failure, rate-limited
    /// when the engine is holding back for a window or saw 429s, delivering when anything got
    /// through.
    public static func assess(_ id: DestinationID, in data: ConsoleData) -> Health {
        guard let settings = data.settings.settings(for: id) else { return .unconfigured }
        guard settings.common.enabled else { return .disabled }
        let recent = (data.stats[id] ?? []).filter { $0.second >= data.now / 1000 - 30 }
        let delivered = recent.reduce(0) { $0 + $1.delivered }
        let failed = recent.reduce(0) { $0 + $1.failed + $1.deadLettered }
        if failed > 0 && failed >= delivered { return .failing }
        let limits = data.rateLimits[id] ?? []
        let throttled = limits.contains { ($0.throttledUntil ?? 0) > data.now || ($0.remaining == 0 && ($0.resetAt ?? 0) > data.now) }
        if throttled || limits.contains(where: { $0.recent429s > 0 && data.now - $0.updatedAt < 30_000 }) { return .rateLimited }
        return delivered > 0 ? .delivering : .idle
    }
}

/// Reads a `ConsoleData` from the store. Stats are fetched incrementally: after the first load
/// only the last few seconds are read again, since older seconds no longer change.
/// Owned by the one task that refreshes the console.
public final class ConsoleLoader {
    public typealias Store = EventStore & DeliveryStore
    let store: any Store
    private var cache: [DestinationID: [StatsSecond]] = [:]

    public init(store: any Store) {
        self.store = store
    }

    public func load(selected: DestinationID, now: Date = Date()) async -> ConsoleData {
        var data = ConsoleData()
        data.now = now.millis
        data.destination = selected
        do {
            let (file, problem) = try await StoredSettings.load(store)
            data.settings = file
            data.settingsProblem = problem
            data.settingsVersion = try await store.settingsVersion()
            data.audit = try await store.settingsAudit(limit: 200)
            let nowSecond = data.now / 1000
            for id in DestinationID.allCases {
                var history = cache[id] ?? []
                let refetchFrom = max(nowSecond - ConsoleData.historySeconds, (history.last?.second ?? 0) - 5)
                history.removeAll { $0.second >= refetchFrom || $0.second < nowSecond - ConsoleData.historySeconds }
                history += try await store.stats(destination: id.rawValue, since: refetchFrom)
                cache[id] = history
                data.stats[id] = history
            }
            for snapshot in try await store.rateLimits(destination: nil) {
                if let id = DestinationID(rawValue: snapshot.destination) { data.rateLimits[id, default: []].append(snapshot) }
            }
            for (destination, count) in try await store.deadLetterCounts() {
                if let id = DestinationID(rawValue: destination) { data.deadLetterCounts[id] = count }
            }
            data.skipReasons[selected] = try await store.skipReasons(destination: selected.rawValue)
            data.attempts = try await store.attempts(destination: selected.rawValue, limit: 300, beforeId: nil)
            data.deadLetters = try await store.deadLetters(DeadLetterFilter(destination: selected.rawValue, limit: 500))
            data.events = try await store.events(EventQuery(limit: 200))
            data.eventCount = try await store.eventCount()
        } catch {
            data.loadError = "reading the store failed: \(error)"
        }
        return data
    }
}

/// The settings as the store holds them, parsed by the destinations core; shared by the CLI
/// and the console so both read and write settings the same way.
public enum StoredSettings {
    /// The parsed file, and a description of any stored row the core rejects (that row is left
    /// out rather than hiding every other destination).
    public static func load(_ store: any DeliveryStore) async throws -> (SettingsFile, String?) {
        var root = JSONObject()
        var unreadable: [String] = []
        for record in try await store.settings() {
            do {
                root[record.destination] = try JSONParser.parse(record.json)
            } catch {
                unreadable.append("\(record.destination) (\(error))")
            }
        }
        if !unreadable.isEmpty {
            let (file, _) = try await load(parsed: root)
            return (file, "stored settings that are not JSON were left out: \(unreadable.joined(separator: "; ")); replace them with sluice settings import")
        }
        return try await load(parsed: root)
    }

    private static func load(parsed root: JSONObject) async throws -> (SettingsFile, String?) {
        do {
            return (try SettingsFile(json: .object(root)), nil)
        } catch {
            var file = SettingsFile()
            for entry in root {
                guard let id = DestinationID(rawValue: entry.key), let object = entry.value.objectValue else { continue }
                try? file.update(id, json: object)
            }
            return (file, "the stored settings are invalid (\(error.description)); fix them in the settings pane or with sluice settings import")
        }
    }

    public static func save(_ file: SettingsFile, id: DestinationID, store: any DeliveryStore, changed: [String], origin: String) async throws {
        guard let settings = file.settings(for: id) else { return }
        try await store.saveSettings(destination: id.rawValue, json: JSONWriter.string(.object(settings.json(revealSecrets: true))),
                                     changedFields: changed, osUser: osUser, origin: origin)
    }

    public static var osUser: String {
        let environment = ProcessInfo.processInfo.environment
        return environment["USER"] ?? environment["LOGNAME"] ?? ProcessInfo.processInfo.userName
    }
}
