import ArgumentParser
import Foundation
import SluiceSpec
import SluiceStore

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Inspect stored events.",
        subcommands: [Tail.self, Count.self])

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the newest stored events, oldest first; --follow keeps printing new ones.")

        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?
        @Option(name: .shortAndLong, help: "How many of the newest events to print.") var count: Int = 20
        @Flag(name: .shortAndLong, help: "Keep printing events as they arrive (Ctrl-C stops).") var follow = false
        @Option(name: .long, help: "Only this source.") var source: String?
        @Option(name: .long, help: "Only this call type.") var type: EventType?
        @Flag(name: .long, help: "Print each event's full JSON payload.") var json = false

        mutating func run() async throws {
            guard count > 0 else { throw CLIError("--count must be at least 1") }
            let store = try openStore(db)
            var query = EventQuery(limit: count, source: source, type: type)
            let newest = try await store.events(query)
            for event in newest.reversed() { print(format(event)) }
            guard follow else { return }
            var lastId = newest.first?.id ?? 0
            query.limit = 500
            while !Task.isCancelled {
                query.afterId = lastId
                let fresh = try await store.events(query)
                for event in fresh { print(format(event)) }
                if let last = fresh.last { lastId = last.id } else { try await Task.sleep(for: .milliseconds(250)) }
            }
        }

        private func format(_ stored: StoredEvent) -> String {
            if json { return stored.payloadText }
            let record = stored.record
            let time = Timestamp.iso8601(Date(timeIntervalSince1970: Double(record.receivedAt) / 1000))
            let who = record.userId.map { "user=\($0)" } ?? "anon=\(record.anonymousId ?? "-")"
            var detail = ""
            if let event = try? stored.event() {
                switch event.type {
                case .track: detail = event.event.map { "\"\($0)\"" } ?? ""
                case .page, .screen: detail = event.name.map { "\"\($0)\"" } ?? ""
                case .group: detail = "group=\(event.groupId ?? "")"
                case .alias: detail = "previous=\(event.previousId ?? "")"
                case .identify: detail = "\(event.traits.count) traits"
                }
            }
            return "\(stored.id)\t\(time)\t\(record.source)\t\(record.type.rawValue)\t\(who)\t\(detail)\t\(record.messageId)"
        }
    }

    struct Count: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print how many events are stored, and per-source totals.")
        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?

        mutating func run() async throws {
            let store = try openStore(db)
            print("events\t\(try await store.eventCount())")
            for counters in try await store.sourceCounters() {
                print("\(counters.source)\taccepted=\(counters.accepted)\tduplicates=\(counters.duplicates)\trejected=\(counters.rejected)")
            }
        }
    }
}

/// Opens the database; only commands that configure a new installation may create it.
func openStore(_ path: String?, create: Bool = false) throws -> SQLiteEventStore {
    let path = path ?? Paths.defaultDatabase
    guard create || FileManager.default.fileExists(atPath: path) else {
        throw CLIError("no database at \(path); start sluice serve first, or pass --db")
    }
    do {
        return try SQLiteEventStore(path: path)
    } catch {
        throw CLIError("cannot open the database \(path): \(error)")
    }
}
