import ArgumentParser
import CMimalloc
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

    /// The C allocator in use: mimalloc when the link put it ahead of the C library's, as intended.
    static var allocator: String {
        let probe = malloc(16)
        defer { free(probe) }
        let version = Int(mi_version())
        return mi_is_in_heap_region(probe) ? "mimalloc \(version / 100).\(version / 10 % 10).\(version % 10)" : "the C library's malloc"
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
