import ArgumentParser
import Foundation
import SluiceDestinations
import SluiceSpec

struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Print the HTTP requests a call would produce at each destination; nothing is sent.",
        discussion: """
            Reads one call (JSON) from standard input. Lookups are answered "not found" and writes \
            succeed, so you see a first-time delivery. Secrets are masked.
              echo '{"type":"identify","userId":"u1","traits":{"email":"a@b.co","name":"Ada"}}' | sluice preview --destination intercom
            """)

    @Option(name: .long, help: "Only this destination (default: all four).") var destination: String?
    @Option(name: .long, help: "A settings file (JSON, see docs/settings.md); default: each destination's defaults.") var settings: String?

    mutating func run() async throws {
        let file: SettingsFile
        if let settings {
            do {
                file = try SettingsFile(text: try readText(settings))
            } catch let error as SettingsError {
                throw CLIError("\(settings): \(error.description)")
            }
        } else {
            file = SettingsFile()
        }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let json: JSON
        do {
            json = try JSONParser.parse(Array(input))
        } catch {
            throw CLIError("stdin is not valid JSON: \(error.description)")
        }
        let event: Event
        do {
            event = try IngestNormalizer.normalize(json, pathType: nil, envelope: BatchEnvelope(receivedAt: Date())).event
        } catch {
            throw CLIError("the call is not valid: \(error.message)")
        }
        let ids = try destination.map { [try parseDestination($0)] } ?? DestinationID.allCases
        for id in ids {
            print(Preview.render(await Preview.run(event, to: id, settings: file)))
        }
    }
}
