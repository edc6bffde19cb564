import ArgumentParser
import Foundation
import SluiceSpec
import SluiceStore

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadletters",
        abstract: "List, inspect, replay or discard events the engine gave up on.",
        subcommands: [List.self, Show.self, Replay.self, Discard.self])

    struct Filters: ParsableArguments {
        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?
        @Option(name: .long, help: "Only this destination.") var destination: String?
        @Option(name: .long, help: "An HTTP status (e.g. 401) or text the error message contains.") var error: String?
        @Option(name: .long, help: "Dead-lettered at or after this time (ISO-8601, or e.g. 2h / 30m / 7d ago).") var since: String?
        @Option(name: .long, help: "Dead-lettered at or before this time.") var until: String?
        @Option(name: .long, help: "At most this many.") var limit: Int = 1_000

        func filter(ids: [Int64]?) throws -> DeadLetterFilter {
            DeadLetterFilter(destination: try destination.map { try parseDestination($0).rawValue }, error: error,
                             since: try since.map(Self.time), until: try until.map(Self.time), ids: ids, limit: limit)
        }

        static func time(_ text: String) throws -> Millis {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
            if let unit = text.last, let seconds = units[unit], let amount = Double(text.dropLast()) {
                return Date().millis - Millis(amount * seconds * 1000)
            }
            guard let date = Timestamp.parse(text) else { throw CLIError("cannot read the time \"\(text)\"; use ISO-8601 or an age like 2h") }
            return date.millis
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List dead letters, newest first.")
        @OptionGroup var filters: Filters

        mutating func run() async throws {
            let store = try openStore(filters.db)
            let jobs = try await store.deadLetters(try filters.filter(ids: nil))
            if jobs.isEmpty { print("no dead letters match"); return }
            for job in jobs {
                let at = job.deadAt.map { Timestamp.iso8601(Date(millis: $0)) } ?? "-"
                print("\(job.id)\t\(at)\t\(job.destination)\t\(job.type.rawValue)\t\(job.lane)\t\(job.lastStatus.map(String.init) ?? "-")\t\(job.lastError ?? "")")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one dead letter: its event, its error and the last response.")
        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?
        @Argument(help: "The dead letter's id, as list prints it.") var id: Int64

        mutating func run() async throws {
            let store = try openStore(db)
            guard let job = try await store.deadLetters(DeadLetterFilter(ids: [id], limit: 1)).first else {
                throw CLIError("no dead letter with id \(id); see sluice deadletters list")
            }
            print("dead letter \(job.id): \(job.destination) \(job.type.rawValue) for \(job.lane), \(job.attempts) attempts")
            print("error: \(job.lastStatus.map { "HTTP \($0): " } ?? "")\(job.lastError ?? "")")
            if let response = job.lastResponse, !response.isEmpty {
                print("last response:")
                print((try? JSONWriter.pretty(JSONParser.parse(response))) ?? response)
            }
            if let event = try await store.event(id: job.eventId) {
                print("event \(event.record.messageId):")
                print((try? JSONWriter.pretty(JSONParser.parse(event.record.payload))) ?? event.payloadText)
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue dead letters for delivery again (the running engine picks them up).")
        @OptionGroup var filters: Filters
        @Argument(help: "Ids to replay; with none, --all replays everything the filters match.") var ids: [Int64] = []
        @Flag(name: .long, help: "Replay every dead letter the filters match.") var all = false

        mutating func run() async throws {
            guard !ids.isEmpty || all else { throw CLIError("name the ids to replay, or pass --all (with filters) to replay every match") }
            let store = try openStore(filters.db)
            let replayed = try await store.replayDeadLetters(try filters.filter(ids: ids.isEmpty ? nil : ids), now: Date().millis)
            print("replayed \(replayed.count) dead letter\(replayed.count == 1 ? "" : "s")")
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead letters for good.")
        @OptionGroup var filters: Filters
        @Argument(help: "Ids to discard; with none, --all discards everything the filters match.") var ids: [Int64] = []
        @Flag(name: .long, help: "Discard every dead letter the filters match.") var all = false

        mutating func run() async throws {
            guard !ids.isEmpty || all else { throw CLIError("name the ids to discard, or pass --all (with filters) to discard every match") }
            let store = try openStore(filters.db)
            let count = try await store.discardDeadLetters(try filters.filter(ids: ids.isEmpty ? nil : ids))
            print("discarded \(count) dead letter\(count == 1 ? "" : "s")")
        }
    }
}
