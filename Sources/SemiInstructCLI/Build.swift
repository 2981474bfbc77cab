// `semi-instruct build RECIPE`: the main job. Natural code in, verified instruction data out.
import ArgumentParser
import Foundation
import Pipeline

struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a verified instruction dataset from natural code with a recipe (resumable).")

    @Argument(help: "The recipe (YAML), e.g. recipes/quickstart.yaml.")
    var recipe: String

    @Option(name: .customLong("input"), help: "A .py file, directory, git working tree, .tar.gz/.zip of a repository or JSONL file; repeatable; replaces the recipe's inputs.")
    var inputs: [String] = []

    @Option(help: "Stop collecting at this many candidates (items that pass collect); those rejected on the way are recorded too.")
    var limit: Int?

    @Option(help: "Stop after this stage: \(StageName.allCases.map(\.rawValue).joined(separator: ", ")).")
    var until: String?

    @Option(name: .customLong("run"), help: "Run directory (default: runs/RECIPE-NAME). Rerunning with the same one resumes.")
    var runDirectory: String?

    @Option(help: "Samples worked on in parallel, and sandboxes running at once (default: the CPU count).")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("Build one shard of N: I/N with I from 0 to N-1, into RUN/shards/I-of-N; `merge RUN` joins them. "
                               + "Without it, a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job pod "
                               + "(JOB_COMPLETION_INDEX) builds its own shard; `none` builds the whole in any case.", valueName: "I/N"))
    var shard: String?

    @Option(help: "The shard count where the scheduler gives only the index (Kubernetes' JOB_COMPLETION_INDEX), or in place of Slurm's (a task resubmitted alone sees 1); the recipe's `shards` otherwise.")
    var shards: Int?

    @Flag(help: "No progress output.")
    var quiet = false

    @Flag(name: .customLong("json-log"), help: "Progress and messages as JSON lines on stderr.")
    var jsonLog = false

    @Flag(name: .customLong("unsafe-no-sandbox"), help: "Run untrusted code WITHOUT isolation. Dangerous.")
    var unsafeNoSandbox = false

    func validate() throws {
        if let until, StageName(rawValue: until) == nil {
            throw ValidationError("unknown stage '\(until)'; stages: \(StageName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
    }

    func run() async throws {
        var loaded = try RecipeLoader.load(path: recipe)
        if unsafeNoSandbox { loaded.sandbox.unsafeNoSandbox = true }
        let directory = URL(fileURLWithPath: runDirectory ?? "runs/\(loaded.name)").standardizedFileURL
        var options = BuildOptions(runDirectory: directory)
        options.inputs = inputs
        options.limit = limit
        options.until = until.flatMap(StageName.init(rawValue:))
        options.workers = workers
        if let spec = try shardSpec(recipeShards: loaded.shards) { options.scope = .shard(spec) }
        let progress = ProgressReporter.automatic(quiet: quiet, json: jsonLog)
        let services = BuildServices.real(recipe: loaded, workers: workers, progress: progress)
        let result = try await BuildRunner(recipe: loaded, options: options, services: services, progress: progress).run()
        print(FunnelSummary.render(result))
    }
}

extension Build {
    /// The shard this process builds: `--shard`, else the scheduler's index; nil for the whole build.
    func shardSpec(recipeShards: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ShardSpec? {
        if shard == "none" {
            if shards != nil { throw ValidationError("--shard none builds the whole: --shards does not apply") }
            return nil
        }
        if let shard {
            let spec = try ShardSpec(parsing: shard)
            if let shards, shards != spec.count { throw ValidationError("--shard \(shard) and --shards \(shards) disagree on the count") }
            return spec
        }
        if let spec = try ShardSpec.fromScheduler(environment, count: shards ?? recipeShards) {
            FileHandle.standardError.write(Data("build: shard \(spec) from the scheduler's environment (--shard none builds the whole)\n".utf8))
            return spec
        }
        if shards != nil {
            throw ValidationError("--shards gives the count only: the index comes from --shard I/N, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
        }
        return nil
    }
}

/// Fixed-width columns: the first left-aligned, the numbers right-aligned, the last as is.
enum Columns {
    static let widths = [20, 6, 6, 9]

    static func row(_ cells: [String]) -> String {
        var out = ""
        for (index, cell) in cells.enumerated() {
            if index == 0 {
                out += cell.padding(toLength: max(widths[0], cell.count), withPad: " ", startingAt: 0)
            } else if index < widths.count {
                out += String(repeating: " ", count: max(0, widths[index] - cell.count)) + cell
            } else {
                out += "  " + cell
            }
        }
        return out
    }
}

/// The end-of-run summary: per stage in / kept / rejected and the top reasons, then where things are.
enum FunnelSummary {
    static func render(_ result: BuildResult) -> String {
        var lines = [Columns.row(["stage", "in", "kept", "rejected", "top reasons"])]
        for stage in result.funnel where stage.kept + stage.rejected > 0 {
            let reasons = stage.reasons.prefix(3).map { "\($0.reason) \($0.count)" }.joined(separator: ", ")
            lines.append(Columns.row([stage.stage, String(stage.kept + stage.rejected), String(stage.kept),
                                      String(stage.rejected), reasons]))
        }
        lines.append("")
        if let dataset = result.datasetPath { lines.append("dataset:  \(dataset) (\(result.exported) samples)") }
        lines.append("database: \(result.databasePath)")
        lines.append("run:      \(result.runDirectory.path) (run the same command again to resume)")
        return lines.joined(separator: "\n")
    }
}
