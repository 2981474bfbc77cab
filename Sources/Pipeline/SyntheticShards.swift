// Shards as `build --shard` leaves them, written directly with made-up samples, so `bench merge` can join millions
// without running a model: every sample kept through rank, with one passed test, a rank and a stored vector.
import Foundation
import Kernels
import ModelFiles
import Store

public enum SyntheticShards {
    /// The embedder name the vectors are stored under (the merge finds them all and loads no model).
    public static func embedderName(dimension: Int) -> String { "synthetic-\(dimension)" }

    /// Writes `shards` complete shards of `samples` samples in all under `run/shards`; a share `duplicates` of the
    /// vectors are near copies of an earlier one, which SemDeDup should remove.
    public static func write(run: URL, recipe: Recipe, shards: Int, samples: Int, dimension: Int, duplicates: Double,
                             topics: Int = 0, seed: UInt64) throws {
        let runner = BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: run),
                                 services: BuildServices(generator: { throw PipelineError.model("synthetic") },
                                                         runner: { _ in throw PipelineError.model("synthetic") },
                                                         embedder: { throw PipelineError.model("synthetic") }),
                                 progress: ProgressReporter(mode: .quiet))
        let ids = (0..<samples).map { String(SHA256.hex(Array("synthetic \($0)".utf8)).prefix(16)) }
        var owned = [[Int]](repeating: [], count: shards)
        for (ordinal, id) in ids.enumerated() { owned[ShardSpec.shard(of: id, count: shards)].append(ordinal) }
        let vectors = SyntheticVectors(dimension: dimension, duplicates: duplicates, topics: topics, seed: seed)
        let stages = StageName.allCases.filter { $0 < BuildRunner.firstGlobalStage }
        let recipeText = jsonText(runner.recipe)
        let model = embedderName(dimension: dimension)

        for index in 0..<shards {
            let spec = try ShardSpec(index: index, count: shards)
            let directory = run.appendingPathComponent("shards").appendingPathComponent(spec.directoryName)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let store = try RunDatabase(path: directory.appendingPathComponent("run.sqlite").path)
            var records: [SampleRecord] = [], commits: [StageCommit] = [], embeddings: [EmbeddingRecord] = []
            for ordinal in owned[index] {
                let id = ids[ordinal], name = "f\(ordinal)"
                let code = "def \(name)(x):\n    return x * \(ordinal % 97) + \(ordinal)\n"
                records.append(SampleRecord(id: id, ordinal: ordinal, source: "synthetic/m\(ordinal / 100).py", line: 1 + 3 * (ordinal % 100),
                                            entryPoint: name, code: code))
                for stage in stages {
                    let evidence = stage == .prefilter ? jsonText(["hash": id]) : nil
                    var commit = StageCommit(outcome: OutcomeRecord(sampleId: id, stage: stage.rawValue, kept: true, evidence: evidence))
                    switch stage {
                    case .runOriginal:
                        var test = TestCaseRecord(sampleId: id, index: 0, arguments: "2", literal: "{'args': (2,), 'kwargs': {}}")
                        test.expectedStatus = "ok"
                        test.expectedValue = String(2 * (ordinal % 97) + ordinal)
                        test.passed = true
                        commit.testCases = [test]
                    case .rewrite:
                        commit.rewrite = RewriteRecord(sampleId: id, instruction: "Write `\(name)(x)`: x times \(ordinal % 97), plus \(ordinal).",
                                                       code: code, instructionSource: "model", codeSource: "model")
                    case .rank:
                        commit.rank = RankRecord(sampleId: id, testsPassed: 1, testsTotal: 1, codeLines: 2, branches: 0, difficulty: 0.5)
                    default: break
                    }
                    commits.append(commit)
                }
                embeddings.append(EmbeddingRecord(sampleId: id, model: model, values: vectors.vector(ordinal)))
            }
            try store.insertSamples(records)
            try store.commit(commits)
            try store.saveEmbeddings(embeddings)
            let meta = ["pipeline.layout": BuildRunner.pipelineLayout, "recipe.hash": runner.identityHash, "recipe": recipeText,
                        "generator": recipe.models.generator, "collect.total": String(samples), "collect.done": String(records.count),
                        "shard": spec.description, "embedder.setting": StoredEmbedder.setting(runner.recipe), "embedder.name": model,
                        "embedder.dimension": String(dimension)]
            for (key, value) in meta { try store.setMeta(key, value) }
            for late in BuildRunner.lateSettings { try store.setMeta("settings.\(late.stage.rawValue)", late.fingerprint(runner.recipe)) }
            try store.checkpoint()
            try ShardMarker(shard: spec.description, recipeHash: runner.identityHash, pipelineLayout: BuildRunner.pipelineLayout,
                            samples: records.count, collectedTotal: samples, kept: records.count, embedded: records.count,
                            finished: ISO8601DateFormatter().string(from: Date())).write(in: directory)
        }
    }
}

/// Unit vectors from a seed, some of them near copies of an earlier one; the same ordinal always gets the same vector.
/// With topics, each vector lies around one of that many directions (as real embeddings gather by subject: two of one
/// topic have a cosine similarity near 0.5), else anywhere on the sphere.
struct SyntheticVectors {
    let dimension: Int
    let duplicates: Double
    let topics: Int
    let seed: UInt64

    func uniform(_ generator: inout SplitMix64) -> [Float] {
        (0..<dimension).map { _ in Float(generator.next() >> 40) / Float(1 << 23) - 1 }
    }

    func vector(_ ordinal: Int) -> [Float] {
        var generator = SplitMix64(seed: seed ^ UInt64(ordinal) &* 0x9E37_79B9_7F4A_7C15)
        let copy = ordinal > 0 && Double(generator.next() % 1_000_000) / 1_000_000 < duplicates
        var values: [Float]
        if copy {
            // A near copy: an earlier vector with a little noise (cosine similarity about 0.999).
            values = vector(Int(generator.next() % UInt64(ordinal)))
            for i in values.indices { values[i] += (Float(generator.next() >> 40) / Float(1 << 24) - 0.5) * 0.004 }
        } else if topics > 0 {
            var topic = SplitMix64(seed: seed &+ 0x5EED &+ generator.next() % UInt64(topics))
            values = zip(uniform(&topic), uniform(&generator)).map { $0 + $1 }
        } else {
            values = uniform(&generator)
        }
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { $0 / norm }
    }
}
