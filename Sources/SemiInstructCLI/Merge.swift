// `semi-instruct merge RUN`: the shards of a run (build --shard) joined, deduplicated as a whole, ranked and exported.
import ArgumentParser
import Foundation
import Pipeline

struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the shards of a run (build --shard I/N): check they are complete and of one recipe, reject exact duplicates "
            + "across them, run SemDeDup over all from their stored embeddings, and export. Running it again gives the same result.")

    @Argument(help: "The run directory the shards were built in (it holds shards/I-of-N).")
    var run: String

    @Option(help: "Threads for embedding what the shards did not embed (default: the CPU count).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress output.")
    var quiet = false

    @Flag(name: .customLong("json-log"), help: "Progress and messages as JSON lines on stderr.")
    var jsonLog = false

    func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
    }

    func run() async throws {
        let directory = URL(fileURLWithPath: run).standardizedFileURL
        let recipe = try ShardMerge.recipe(ofRun: directory)
        var options = BuildOptions(runDirectory: directory)
        options.scope = .merge
        options.workers = workers
        let progress = ProgressReporter.automatic(quiet: quiet, json: jsonLog)
        let services = BuildServices.real(recipe: recipe, workers: workers, progress: progress)
        let result = try await BuildRunner(recipe: recipe, options: options, services: services, progress: progress).run()
        print(FunnelSummary.render(result))
    }
}
