import ArgumentParser
import SluiceDestinations

struct MappingBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping",
        abstract: "Mapping throughput per destination and call, against serializing the same call (pure CPU, one core).")

    @Option(name: .long, help: "Seconds to measure each case.") var seconds: Double = 1
    @Option(name: .long, help: "Map only this case, N times, printing nothing else (for allocation counting).") var `case`: String?
    @Option(name: .long, help: "Iterations for --case.") var iterations: Int = 10_000
    @Flag(name: .long, help: "List the cases.") var list = false

    mutating func run() async throws {
        guard seconds > 0, iterations > 0 else { throw CLIError("--seconds and --iterations must be positive") }
        var arguments = ["--seconds", String(seconds), "--iterations", String(iterations)]
        if let name = `case` { arguments += ["--case", name] }
        if list { arguments.append("--list") }
        print(await MappingBenchmark.main(arguments: arguments))
    }
}
