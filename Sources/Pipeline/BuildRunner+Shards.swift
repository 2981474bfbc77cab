// A shard's end: its kept samples embedded (so the merge embeds nothing) and a completion marker written last.
import Foundation
import Store

extension BuildRunner {
    /// The first stage that needs every sample at once; shards stop before it.
    static let firstGlobalStage = StageName.semdedup

    /// The result of a shard that already finished with this recipe: rerunning it does nothing.
    func finishedShard(_ spec: ShardSpec, directory: URL) throws -> BuildResult? {
        guard let marker = try ShardMarker.read(in: directory) else { return nil }
        guard marker.recipeHash == identityHash, marker.pipelineLayout == Self.pipelineLayout else {
            throw PipelineError.input(path: directory.path, message: "shard \(spec) was finished with a different recipe, inputs or pipeline "
                                      + "version; build the shards into another --run directory")
        }
        let databasePath = directory.appendingPathComponent("run.sqlite").path
        let store = try RunDatabase(existingRunAt: databasePath)
        progress.message("shard \(spec) is complete (\(marker.samples) items, \(marker.kept) ranked): nothing to do; "
                         + "`semi-instruct merge` joins the shards")
        return BuildResult(runDirectory: directory, databasePath: databasePath, datasetPath: nil, exported: 0,
                           collected: marker.samples, funnel: try store.funnel(stages: StageName.allCases.map(\.rawValue)))
    }

    /// Embeds what the shard kept (when the recipe deduplicates) and writes the marker `merge` looks for.
    func finishShard(_ spec: ShardSpec, context: inout StageContext, directory: URL) async throws {
        let store = context.store
        let last = Self.firstGlobalStage.previous!.rawValue
        let kept = try store.kept(by: last)
        var embedded = 0
        if recipe.dedup.enabled, !kept.isEmpty {
            try prepare(Self.firstGlobalStage, &context)
            if let embedder = context.embedder {
                progress.message("shard \(spec): embedding \(kept.count) samples for the merge's SemDeDup")
                let size = 256
                for start in stride(from: 0, to: kept.count, by: size) {
                    let part = Array(kept[start..<min(start + size, kept.count)])
                    embedded += try await SemDedupStage.embeddings(of: part, embedder: embedder, context: context).count
                }
            }
        }
        let marker = ShardMarker(shard: spec.description, recipeHash: identityHash, pipelineLayout: Self.pipelineLayout,
                                 samples: try store.sampleCount(), collectedTotal: Int(try store.meta("collect.total") ?? "") ?? -1,
                                 kept: kept.count, embedded: embedded, finished: ISO8601DateFormatter().string(from: Date()))
        try marker.write(in: directory)
        progress.message("shard \(spec) complete: \(marker.samples) items, \(marker.kept) ranked, \(embedded) embedded")
    }
}
