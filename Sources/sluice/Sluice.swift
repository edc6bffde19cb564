import ArgumentParser

@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Self-hosted delivery engine for Segment-spec events: ingest, store, deliver.",
        discussion: """
            Apps send identify/track/page/screen/group/alias calls with any Segment or RudderStack SDK; \
            Sluice stores them durably and delivers them to Help Scout, Zendesk, ClientSuccess and Intercom.
            """,
        subcommands: [ServeCommand.self, SendCommand.self, EventsCommand.self, SettingsCommand.self, PreviewCommand.self, DeadLettersCommand.self, SandboxCommand.self, DemoCommand.self, BenchCommand.self])
}
