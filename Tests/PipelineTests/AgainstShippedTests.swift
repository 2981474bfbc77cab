import Engine
import Foundation
import Pipeline
import Store
import Testing

/// Recipe `dedup.against`: a build checked against the dataset it shipped before repeats none of it.
@Suite(.serialized) struct AgainstShippedTests {
    @Test func aBuildAgainstItsOwnShippedDatasetExportsNoneOfItAgainAndNamesEachOldRecord() async throws {
        let dir = try temporaryDirectory("against")
        defer { try? FileManager.default.removeItem(at: dir) }
        var recipe = ShardMergeTests.recipe(try ShardMergeTests.corpus(in: dir))
        let run = dir.appendingPathComponent("run")
        let first = try await ShardMergeTests.build(recipe, in: run)
        #expect(first.exported >= 4)
        let shipped = dir.appendingPathComponent("shipped.jsonl")
        try FileManager.default.copyItem(atPath: try #require(first.datasetPath), toPath: shipped.path)
        let exportedIds = try String(contentsOf: shipped, encoding: .utf8).split(separator: "\n")
            .map { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["id"] as! String }

        // `mix` reads the finished run as a source (its verified samples), beside natural-language data, 1:1.
        let exports = try RunDatabase(existingRunAt: first.databasePath).exportCount()
        let nl = dir.appendingPathComponent("nl.jsonl")
        try MixTests.write((0..<10).map(MixTests.alpaca), to: nl)
        let mixed = try DataMix.run(MixOptions(sources: [("code", run.path), ("nl", nl.path)], ratio: ["code": 1, "nl": 1]),
                                    embedder: HashingEmbedder(), output: dir.appendingPathComponent("mix/mixed.jsonl"),
                                    progress: ProgressReporter(mode: .quiet))
        let code = try #require(mixed.composition.first { $0.source == "code" })
        #expect(code.read == first.exported && code.selected == code.available && mixed.rows == 2 * code.selected && code.selected >= 3)
        let rows = try String(contentsOfFile: mixed.output, encoding: .utf8).split(separator: "\n")
        #expect(rows.filter { $0.contains("\"source\":\"code\"") && $0.contains("```python") }.count == code.selected)
        // Reading the run for a mix leaves no trace in it.
        #expect(try RunDatabase(existingRunAt: first.databasePath).exportCount() == exports)

        // The same run with the shipped dataset to check against: only SemDeDup is decided again, and every sample it
        // kept before now repeats its own shipped record. Samples removed before as duplicates of those may come back
        // (the repeats leave the clustering first), but none of what shipped is exported again.
        recipe.dedup.against = [shipped.path]
        let second = try await ShardMergeTests.build(recipe, in: run)
        let again = try String(contentsOfFile: try #require(second.datasetPath), encoding: .utf8).split(separator: "\n")
            .map { (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["id"] as! String }
        #expect(second.exported < first.exported && Set(again).isDisjoint(with: exportedIds))
        let store = try RunDatabase(existingRunAt: second.databasePath)
        for id in exportedIds {
            let outcome = try #require(try store.outcome(of: id, stage: "semdedup"))
            #expect(!outcome.kept && outcome.reason == "semantic-duplicate" && outcome.detail?.hasPrefix("repeats record \(id) of \(shipped.path)") == true,
                    "\(outcome.detail ?? "")")
            #expect(outcome.evidence?.contains("\"corpus\":\"\(shipped.path)\"") == true)
        }
        // The corpus was indexed once, under the run directory.
        let indexes = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("against").path)
        #expect(indexes.count == 1 && indexes[0].hasPrefix("shipped-") && indexes[0].hasSuffix(".index"))

        // A corpus that does not exist is named.
        recipe.dedup.against = [dir.appendingPathComponent("missing.jsonl").path]
        await #expect(throws: PipelineError.self) { _ = try await ShardMergeTests.build(recipe, in: run) }
    }
}
