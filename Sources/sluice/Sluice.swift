import ArgumentParser
import NIOCore
import NIOPosix
import SluiceConsole

@main
struct Sluice: AsyncParsableCommand {
    /// Blocks SIGWINCH before any other thread exists, so only the console's thread sees it.
    /// Then makes NIO's event loops Swift Concurrency's executor: a delivery resumed by its HTTP
    /// reply, or an ingest request by its commit, continues on the thread that saw the event
    /// instead of hopping to a separate pool. That hop cost more than the exchange itself.
    static func main() async {
        ConsoleApp.prepareProcess()
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
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
