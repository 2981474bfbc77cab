// `semi-instruct report`: a self-contained HTML page about a run.
import ArgumentParser
import Foundation
import Pipeline
import Store

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write one self-contained HTML page about a run: funnel, reasons, distributions, rejected samples.")

    @Option(name: .customLong("run"), help: "Run directory (default: the most recent under runs/).")
    var runDirectory: String?

    @Option(name: [.customShort("o"), .long], help: "Output file (default: RUN/report.html).")
    var output: String?

    func run() async throws {
        let path = try RunInspector.locate(runDirectory)
        let store = try RunDatabase(existingRunAt: path)
        let target = output.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("report.html")
        try RunReport.html(store: store, path: path).write(to: target, atomically: true, encoding: .utf8)
        print(target.path)
    }
}
