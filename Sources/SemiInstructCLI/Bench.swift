// `semi-instruct bench ...`: benchmarks (not tests): medians of several runs, printed for comparison.
import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure the engine's speed.",
        subcommands: [BenchGenerate.self])
}
