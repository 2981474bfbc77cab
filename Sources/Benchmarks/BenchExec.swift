// `semi-instruct bench exec`: sandbox throughput on real functions (HumanEval canonical solutions).
import ArgumentParser
import CommandOptions
import Foundation
import Kernels
import Sandbox

struct BenchExec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Measure sandboxed execution: samples/s and calls/s, and the cost of starting a sandbox.")

    @Option(help: "JSONL of samples (task_id, entry_point, code, inputs), as scripts/fixtures/humaneval_exec.py writes.")
    var file = "Tests/Fixtures/humaneval/exec_bench.jsonl"

    @Option(help: "Sandboxes running in parallel.")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Samples per run (the file's samples repeated).")
    var samples = 200

    @Option(help: "Timed runs; the medians are reported.")
    var runs = 5

    @Option(help: "Sandbox starts to time for the per-start overhead.")
    var starts = 10

    func validate() throws {
        if workers < 1 || samples < 1 || runs < 1 || starts < 1 {
            throw ValidationError("--workers, --samples, --runs and --starts must be at least 1")
        }
    }

    struct Record: Decodable {
        var task_id: String
        var entry_point: String
        var code: String
        var inputs: [String]
    }

    func run() async throws {
        let text = try InputFile.text(file)
        var records: [Record] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            do {
                records.append(try JSONDecoder().decode(Record.self, from: Data(line.utf8)))
            } catch {
                throw ValidationError("\(file):\(number + 1): not a sample record: \(error)")
            }
        }
        guard !records.isEmpty else { throw ValidationError("\(file) holds no samples") }
        let batch = (0..<samples).map { index -> SampleRequest in
            let record = records[index % records.count]
            return SampleRequest(code: record.code, entryPoint: record.entry_point, inputs: record.inputs.map { CallInput(literal: $0) })
        }
        let calls = batch.reduce(0) { $0 + $1.inputs.count }
        var configuration = SandboxConfiguration()
        configuration.workers = workers
        let executor = try SandboxExecutor(configuration: configuration)

        let startSeconds = try (0..<starts).map { _ in try executor.measureStart() }
        print(String(format: "sandbox start (bwrap + supervisor ready): median %.1f ms over %d starts", median(startSeconds) * 1000, starts))
        print("\(samples) samples (\(records.count) distinct HumanEval functions), \(calls) calls, \(workers) workers, \(ProcessInfo.processInfo.activeProcessorCount) cores")
        var rates: [Double] = []
        var cpuPerSample: [Double] = []
        for run in 1...runs {
            let started = Date()
            let results = try await executor.run(batch)
            let seconds = Date().timeIntervalSince(started)
            var counts: [ExecutionStatus: Int] = [:]
            for call in results.flatMap(\.calls) { counts[call.status, default: 0] += 1 }
            let restarts = results.reduce(0) { $0 + $1.restarts }
            let statuses = counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
            print(String(format: "run %d: %.2f s, %.1f samples/s, %.1f calls/s (%@; %d restarts)",
                         run, seconds, Double(samples) / seconds, Double(calls) / seconds, statuses, restarts))
            rates.append(seconds)
            cpuPerSample.append(results.reduce(0) { $0 + $1.cpuSeconds } / Double(samples))
        }
        let seconds = median(rates)
        print(String(format: "median: %.1f samples/s, %.1f calls/s with %d workers", Double(samples) / seconds, Double(calls) / seconds, workers))
        // CPU per sample does not depend on what else the machine runs; it bounds throughput per core.
        let cpu = median(cpuPerSample)
        print(String(format: "sandbox CPU per sample (supervisor + call processes): median %.1f ms, a bound of %.0f samples/s per core",
                     cpu * 1000, 1 / cpu))
    }
}
