// `semi-instruct merge RUN`: the shards of a run (build --shard) joined, deduplicated as a whole, ranked and exported.
// `merge RUN_A RUN_B --into DIR`: runs built apart joined the same way, as if one process had read all their inputs.
import ArgumentParser
import Foundation
import Pipeline

struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join the shards of a run (build --shard I/N), or several runs built apart (--into): check they are complete and of "
            + "one recipe, reject exact duplicates across them, run SemDeDup over all from their stored embeddings, and export. "
            + "Running it again gives the same result.",
        discussion: """
            merge RUN                       the shards under RUN/shards, merged into RUN
            merge RUN_A RUN_B --into DIR    runs built apart (in one process or in shards), in this order, merged into DIR;
                                            their recipes may differ only in name, inputs, export and dedup settings
            """)

    @Argument(help: "The run directory the shards were built in (it holds shards/I-of-N); with --into, every run to join.")
    var runs: [String]

    @Option(help: "Where the merged run of several runs is written (a directory of its own).")
    var into: String?

    @Option(help: "Threads for embedding what the shards did not embed (default: the CPU count).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress output.")
    var quiet = false

    @Flag(name: .customLong("json-log"), help: "Progress and messages as JSON lines on stderr.")
    var jsonLog = false

    func validate() throws {
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if runs.isEmpty { throw ValidationError("name the run directory whose shards to merge, or the runs to join with --into DIR") }
        if runs.count > 1 && into == nil { throw ValidationError("joining \(runs.count) runs needs --into DIR for the merged run") }
    }

    func run() async throws {
        let sources = runs.map { URL(fileURLWithPath: $0).standardizedFileURL }
        var options = BuildOptions(runDirectory: into.map { URL(fileURLWithPath: $0).standardizedFileURL } ?? sources[0])
        let recipe: Recipe
        if into == nil {
            recipe = try ShardMerge.recipe(ofRun: sources[0])
            options.scope = .merge
        } else {
            recipe = try MergeSource.recipe(of: try sources.map(MergeSource.run(at:)))
            options.scope = .mergeRuns(sources)
        }
        options.workers = workers
        let progress = ProgressReporter.automatic(quiet: quiet, json: jsonLog)
        let services = BuildServices.real(recipe: recipe, workers: workers, progress: progress)
        let result = try await BuildRunner(recipe: recipe, options: options, services: services, progress: progress).run()
        print(FunnelSummary.render(result))
    }
}
