import ArgumentParser
import SluiceConsole
import Foundation
import SluiceDestinations
import SluiceSpec
import SluiceStore

struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "Show and edit destination settings; the running engine applies changes within a second.",
        discussion: "The settings file format is documented in docs/settings.md.",
        subcommands: [Show.self, Set.self, Import.self, Export.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the settings (secrets masked) and what the engine will do with them.")
        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?
        @Argument(help: "Only this destination (helpscout, zendesk, clientsuccess, intercom).") var destination: String?

        mutating func run() async throws {
            let store = try openStore(db)
            let file = try await loadSettingsFile(store)
            let ids = try destination.map { [try parseDestination($0)] } ?? DestinationID.allCases
            for id in ids {
                guard let settings = file.settings(for: id) else {
                    print("\(id.displayName) (\(id.rawValue)): not configured")
                    continue
                }
                print("\(id.displayName) (\(id.rawValue)): \(settings.common.enabled ? "enabled" : "disabled")")
                let json = settings.json(revealSecrets: false)
                for field in SettingsFile.fields(for: id) {
                    print("  \(field.key.padding(toLength: 26, withPad: " ", startingAt: 0)) \(SettingText.format(SettingsForm.value(at: field.key, in: json), as: field.kind))")
                }
                for window in Destinations.rateLimits(of: id, in: file) {
                    print("  limit: \(window.limit) \(window.label)")
                }
            }
            for notice in file.notices { print("note: \(notice)") }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change one setting, validated before it is saved.",
            discussion: """
                Examples:
                  sluice settings set intercom apiKey <40 characters>
                  sluice settings set intercom defaultNestedHandling stringify
                  sluice settings set intercom richLinkProperties "article, video"
                  sluice settings set intercom nestedHandling "address=flatten, prefs=drop"
                  sluice settings set zendesk subdomain acme
                  sluice settings set helpscout rateLimits.perMinute 100
                """)
        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?
        @Argument(help: "helpscout, zendesk, clientsuccess or intercom.") var destination: String
        @Argument(help: "The field key, as `sluice settings show` lists it.") var field: String
        @Argument(help: "The new value; empty clears it.") var value: String

        mutating func run() async throws {
            let id = try parseDestination(destination)
            let fields = SettingsFile.fields(for: id)
            guard let definition = fields.first(where: { $0.key == field }) else {
                throw CLIError(SettingsFile.unknownFieldMessage(field, in: id, known: fields.map(\.key)))
            }
            let store = try openStore(db, create: true)
            var file = try await loadSettingsFile(store)
            var object = file.settings(for: id)?.json(revealSecrets: true) ?? [:]
            let parsed = SettingText.parse(value, as: definition.kind)
            SettingsForm.setValue(parsed.isNull ? nil : parsed, at: field, in: &object)
            do {
                try file.update(id, json: object)
            } catch {
                throw CLIError(error.description)
            }
            try await saveSettings(file, id: id, store: store, changed: [field], origin: "cli")
            let saved = file.settings(for: id)?.json(revealSecrets: false) ?? [:]
            print("saved \(id.rawValue).\(field) = \(SettingText.format(SettingsForm.value(at: field, in: saved), as: definition.kind))")
            for notice in file.settings(for: id)?.notices ?? [] { print("note: \(notice)") }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the settings of every destination in a settings file (validated as a whole first).")
        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?
        @Argument(help: "A settings file (JSON), or - for standard input.") var file: String

        mutating func run() async throws {
            let text = try readText(file)
            let store = try openStore(db, create: true)
            let previous = try await loadSettingsFile(store)
            let document: JSON
            do {
                document = try JSONParser.parse(text)
            } catch {
                throw CLIError("\(file): invalid JSON: \(error.description)")
            }
            let settings: SettingsFile
            do {
                settings = try SettingsFile(json: SettingsFile.restoringMaskedSecrets(in: document, from: previous))
            } catch {
                throw CLIError("\(file): \(error.description)")
            }
            for id in DestinationID.allCases where settings.settings(for: id) != nil {
                let old = previous.settings(for: id)?.json(revealSecrets: true) ?? [:]
                let new = settings.settings(for: id)!.json(revealSecrets: true)
                let changed = Swift.Set(old.keys + new.keys).filter { old[$0] != new[$0] }.sorted()
                try await saveSettings(settings, id: id, store: store, changed: changed.isEmpty ? ["(unchanged)"] : changed, origin: "import")
                print("imported \(id.rawValue): \(changed.isEmpty ? "no changes" : changed.joined(separator: ", "))")
            }
            for notice in settings.notices { print("note: \(notice)") }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the settings file; secrets are masked unless --reveal.")
        @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?
        @Flag(name: .long, help: "Print secrets in plain text (for a backup you will keep safe).") var reveal = false

        mutating func run() async throws {
            let store = try openStore(db)
            print(try await loadSettingsFile(store).text(revealSecrets: reveal))
        }
    }
}

func parseDestination(_ name: String) throws -> DestinationID {
    guard let id = DestinationID(name: name) else {
        throw CLIError("unknown destination \"\(name)\"; use one of \(DestinationID.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return id
}

func loadSettingsFile(_ store: SQLiteEventStore) async throws -> SettingsFile {
    let (file, problem) = try await StoredSettings.load(store)
    if let problem { throw CLIError(problem) }
    return file
}

func saveSettings(_ file: SettingsFile, id: DestinationID, store: SQLiteEventStore, changed: [String], origin: String) async throws {
    try await StoredSettings.save(file, id: id, store: store, changed: changed, origin: origin)
}

func readText(_ path: String) throws -> String {
    if path == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path); check the path") }
    return String(decoding: data, as: UTF8.self)
}
