// Temporary `bench` group so this branch builds on its own; the lead merges it into Bench.swift.
import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the speed of semi-instruct's parts.",
        subcommands: [BenchDedup.self])
}
