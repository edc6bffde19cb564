import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Rerunnable benchmarks; each reports ratios against a baseline measured in the same run.",
        subcommands: [IngestBenchCommand.self, MappingBenchCommand.self, DeliveryBenchCommand.self, LimitsBenchCommand.self])
}
