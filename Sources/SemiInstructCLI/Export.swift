// `semi-instruct export`: a finished run as a fine-tuning dataset in the format a trainer reads.
import ArgumentParser
import CommandOptions
import Foundation
import Pipeline
import Store

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run's verified samples as Alpaca, ShareGPT or messages JSON lines, with a dataset card.")

    @Option(name: .customLong("run"), help: "Run directory (default: the most recent under runs/).")
    var runDirectory: String?

    @Option(help: "alpaca, sharegpt or messages.")
    var format: DatasetExportOptions.Format

    @Option(name: [.customShort("o"), .long], help: "Output file (default: RUN/FORMAT.jsonl). The card goes beside it as README.md.")
    var output: String?

    @Flag(help: "Include the test cases (inputs and expected outputs) and how many passed.")
    var withTests = false

    @Flag(help: "Include the source, line, model, recipe hash, id and difficulty.")
    var withProvenance = false

    @Option(help: "input (as collected), curriculum (easiest first) or random.")
    var order: DatasetExportOptions.Order = .input

    @Option(help: "Hold out a validation file, e.g. validation=0.05.")
    var split: String?

    @Option(help: "Seed for random order and the split.")
    var seed: UInt64 = 1234

    @Option(help: "A system prompt to put in every example.")
    var system: String?

    @Option(help: "Leave out samples whose instruction scored below this faithfulness (0 to 1; see inspect).")
    var minFaithfulness: Double?

    func validate() throws {
        if let minFaithfulness, !(0...1).contains(minFaithfulness) {
            throw ValidationError("--min-faithfulness takes a share between 0 and 1, not \(minFaithfulness)")
        }
        if let split {
            let parts = split.split(separator: "=")
            guard parts.count == 2, parts[0] == "validation", let fraction = Double(parts[1]), fraction > 0, fraction < 1 else {
                throw ValidationError("--split takes validation=FRACTION with 0 < FRACTION < 1, e.g. validation=0.05")
            }
        }
    }

    func run() async throws {
        let path = try RunInspector.locate(runDirectory)
        let store = try RunDatabase(existingRunAt: path)
        var options = DatasetExportOptions(format: format)
        options.order = order
        options.withTests = withTests
        options.withProvenance = withProvenance
        options.seed = seed
        options.system = system
        options.minFaithfulness = minFaithfulness
        options.validation = split.flatMap { Double($0.split(separator: "=")[1]) } ?? 0
        let target = output.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("\(format.rawValue).jsonl")
        let result = try DatasetExport.export(store: store, to: target, options: options)
        for file in result.files { print("\(file.path): \(file.rows) rows") }
        for (id, why) in result.inconsistent { FileHandle.standardError.write(Data("not exported: sample \(id): \(why)\n".utf8)) }
        print("card: \(result.card)")
    }
}
