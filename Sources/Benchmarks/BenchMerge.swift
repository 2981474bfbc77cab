// `semi-instruct bench merge`: synthetic shard databases joined by `merge` (exact dedup, SemDeDup from the stored
// vectors, export), timed, with peak memory. The shards are written without a model, as `build --shard` leaves them.
import ArgumentParser
import Foundation
import Pipeline

struct BenchMerge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Write synthetic shards (samples with one passed test, a rank and an embedding) and time `merge` over them; report peak RSS.")

    @Option(help: "Shards.")
    var shards = 64

    @Option(help: "Samples over all shards (the issue's scale is 1000000).")
    var samples = 128_000

    @Option(help: "Embedding dimension (MiniLM's is 384).")
    var dimension = 384

    @Option(help: "Share of samples whose vector is a near copy of an earlier one (SemDeDup removes them).")
    var duplicates = 0.05

    @Option(help: "Vectors gather around this many directions, as real embeddings do by subject (0: spread uniformly on the sphere).")
    var topics = 0

    @Option(help: "Where the run is written (deleted afterwards unless --keep).")
    var directory: String?

    @Flag(help: "Keep the run directory.")
    var keep = false

    func validate() throws {
        guard shards >= 1, samples >= shards, dimension >= 1, (0..<1).contains(duplicates), topics >= 0 else {
            throw ValidationError("need shards >= 1, samples >= shards, dimension >= 1, 0 <= duplicates < 1 and topics >= 0")
        }
    }

    func run() async throws {
        let root = URL(fileURLWithPath: directory ?? FileManager.default.temporaryDirectory.path)
            .appendingPathComponent("si-bench-merge-\(UUID().uuidString)")
        defer { if !keep { try? FileManager.default.removeItem(at: root) } }
        var recipe = Recipe()
        recipe.name = "bench-merge"
        recipe.inputs = [.init(path: "synthetic")]
        recipe.models.embedder = SyntheticShards.embedderName(dimension: dimension)
        let clock = ContinuousClock()
        var start = clock.now
        try SyntheticShards.write(run: root, recipe: recipe, shards: shards, samples: samples, dimension: dimension,
                                  duplicates: duplicates, topics: topics, seed: 1234)
        let written = seconds(clock.now - start)
        let bytes = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .compactMap { try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent($0).path)[.size] as? Int }.reduce(0, +)
        print("bench merge: \(shards) shards, \(samples) samples, dimension \(dimension), "
              + (topics > 0 ? "\(topics) topics" : "spread uniformly") + ", \(Int(duplicates * 100)) % near copies; "
              + "shards written in \(String(format: "%.1f", written)) s (\(bytes >> 20) MiB)")

        var options = BuildOptions(runDirectory: root)
        options.scope = .merge
        let refuse = BuildServices(generator: { throw PipelineError.model("bench merge loads no generator") },
                                   runner: { _ in throw PipelineError.model("bench merge runs no code") },
                                   embedder: { throw PipelineError.model("bench merge embeds nothing: every vector is stored") })
        start = clock.now
        let result = try await BuildRunner(recipe: recipe, options: options, services: refuse, progress: ProgressReporter(mode: .quiet)).run()
        let merged = seconds(clock.now - start)
        let semdedup = result.funnel.first { $0.stage == StageName.semdedup.rawValue }
        print("merge: \(String(format: "%.1f", merged)) s in all (\(String(format: "%.0f", Double(samples) / merged)) samples/s); "
              + "SemDeDup \(String(format: "%.1f", semdedup?.seconds ?? 0)) s, removed \(semdedup?.rejected ?? 0); exported \(result.exported)")
        print("peak RSS: \(String(format: "%.2f", Double(BenchDedup.peakResidentKiB()) / 1_048_576)) GiB")
    }

    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
