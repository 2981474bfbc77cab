// `semi-instruct bench`: benchmarks, each a subcommand; never part of the tests.
import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks (never part of the tests).",
        subcommands: [BenchExec.self, BenchEmbed.self, BenchDedup.self]
    )
}
