import ArgumentParser
import Foundation
import SluiceConsole
import SluiceStore

struct DashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dash",
        abstract: "The operator's terminal dashboard: settings, live stats, rate-limit headroom, inspector, dead letters.",
        discussion: """
            It reads what a running `sluice serve` writes to the same database (SQLite in WAL mode \
            lets both open it), and saves settings that the engine applies within a second. Works \
            over SSH (ssh -t host sluice dash). Press ? inside for every key. Themes live in \
            themes/ (see themes/README.md); NO_COLOR or --no-color gives monochrome.
            """)

    @OptionGroup var display: DashDisplayOptions
    @Option(name: .long, help: "SQLite database path (default \(Paths.defaultDatabase)).") var db: String?

    mutating func run() async throws {
        let path = db ?? Paths.defaultDatabase
        let store = try openStore(path)
        if let signo = try await ConsoleApp.run(display.options(store: store, label: path)) {
            throw ExitCode(128 + signo)
        }
    }
}

/// The console's display flags, shared by `dash` and `demo`.
struct DashDisplayOptions: ParsableArguments {
    @Option(name: .long, help: "Theme name (default, light, high-contrast, mono, nord, …) or a .theme file path; default: your last :theme, else default.")
    var theme: String?
    @Flag(name: .long, help: "Monochrome, whatever the terminal supports (as does NO_COLOR=1).") var noColor = false
    @Option(name: .long, help: "Seconds between data refreshes (0.2–60; default 1, or your last :refresh).") var refresh: Double?

    func validate() throws {
        if let refresh, !(0.2...60).contains(refresh) { throw ValidationError("--refresh must be between 0.2 and 60 seconds") }
    }

    func options(store: any ConsoleLoader.Store, label: String) -> ConsoleOptions {
        ConsoleOptions(store: store, databaseLabel: label, theme: theme,
                       themeSearchPaths: Theme.defaultSearchPaths(environment: ProcessInfo.processInfo.environment,
                                                                  executablePath: CommandLine.arguments.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }),
                       colour: !noColor, refreshSeconds: refresh, preferences: .standard())
    }
}
