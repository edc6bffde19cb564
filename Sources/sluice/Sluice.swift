import ArgumentParser
import SluiceConsole

@main
struct Sluice: AsyncParsableCommand {
    /// Blocks SIGWINCH before any other thread exists, so only the console's thread sees it.
    static func main() async {
        ConsoleApp.prepareProcess()
        await main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Self-hosted delivery engine for Segment-spec events: ingest, store, deliver.",
        discussion: """
            Apps send identify/track/page/screen/group/alias calls with any Segment or RudderStack SDK; \
            Sluice stores them durably and delivers them to Help Scout, Zendesk, ClientSuccess and Intercom.
            """,
        subcommands: [ServeCommand.self, SendCommand.self, EventsCommand.self, SettingsCommand.self, PreviewCommand.self, DeadLettersCommand.self, SandboxCommand.self, DemoCommand.self, DashCommand.self, BenchCommand.self])
}
