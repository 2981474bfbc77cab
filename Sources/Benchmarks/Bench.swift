// `semi-instruct bench ...`: benchmarks (not tests): medians of several runs, printed for comparison.
import ArgumentParser
import CommandOptions

public struct Bench: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks (never part of the tests).",
        subcommands: [BenchGenerate.self, BenchBatch.self, BenchConstraintCommand.self, BenchAbacusShape.self, BenchModelShape.self, BenchEmbed.self, BenchExec.self, BenchDedup.self, BenchMerge.self, BenchDecontaminate.self, BenchMatvec.self, BenchServe.self]
    )
}
