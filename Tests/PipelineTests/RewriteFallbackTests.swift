import Foundation
import Pipeline
import Store
import Testing

/// `verify.fallback: original`: when no rewrite of the model reproduces the original, the original (formatted) is the
/// response, verified like a rewrite, and every row and the card say so.
@Suite(.serialized) struct RewriteFallbackTests {
    static let code = "def clip(x, lo, hi):\n    if x < lo:  # below the range\n        return lo\n    return min(x, hi)\n"
    static let inputs = ["clip": ["clip(5, 0, 10)", "clip(-1, 0, 10)", "clip(20, 0, 10)"]]
    /// Wrong on every input below the range.
    static let wrong = ["clip": "def clip(x, lo, hi):\n    return min(x, hi)\n"]

    @Test func theOriginalStandsInForRewritesThatAllFail() async throws {
        let build = try await TestSetTests.build(["c.py": Self.code], inputs: Self.inputs, rewrites: Self.wrong) { $0.verify.fallback = "original" }
        defer { try? FileManager.default.removeItem(at: build.folder) }
        let sample = try #require(try build.store.samples().first)
        let rewrite = try #require(try build.store.rewrite(of: sample.id))
        #expect(rewrite.codeSource == "original" && rewrite.code.contains("return min(x, hi)") && rewrite.code.contains("return lo"))
        let outcome = try #require(try build.store.outcome(of: sample.id, stage: "rewrite"))
        #expect(outcome.kept && outcome.evidence?.contains("\"fallback\":\"original\"") == true && outcome.evidence?.contains("mismatch") == true)
        // The model was asked, and asked again, before the original stood in.
        #expect(try build.store.modelCalls(of: sample.id).filter { $0.stage == "rewrite" }.count >= 2)
        #expect(try decisions(build.store, stage: "verify")["c.py:clip"] == "kept")
        #expect(build.result.exported == 1)
        let row = try String(contentsOfFile: build.result.datasetPath!, encoding: .utf8)
        #expect(row.contains("\"response_source\":\"original\""))

        let alpaca = build.folder.appendingPathComponent("alpaca.jsonl")
        var options = DatasetExportOptions(format: .alpaca)
        options.withProvenance = true
        let card = try String(contentsOfFile: try DatasetExport.export(store: build.store, to: alpaca, options: options).card, encoding: .utf8)
        #expect(card.contains("0 responses are the model's verified rewrites; 1 are the original code"))
        #expect(try String(contentsOf: alpaca, encoding: .utf8).contains("\"response_source\":\"original\""))
    }

    @Test func withoutTheFallbackTheSampleIsRejectedAndARightRewriteIsTheModels() async throws {
        let rejected = try await TestSetTests.build(["c.py": Self.code], inputs: Self.inputs, rewrites: Self.wrong)
        defer { try? FileManager.default.removeItem(at: rejected.folder) }
        #expect(try decisions(rejected.store, stage: "verify")["c.py:clip"] == "mismatch")
        #expect(rejected.result.exported == 0)

        let right = try await TestSetTests.build(["c.py": Self.code], inputs: Self.inputs) { $0.verify.fallback = "original" }
        defer { try? FileManager.default.removeItem(at: right.folder) }
        let sample = try #require(try right.store.samples().first)
        #expect(try right.store.rewrite(of: sample.id)?.codeSource == "model")
        #expect(try String(contentsOfFile: right.result.datasetPath!, encoding: .utf8).contains("\"response_source\":\"model\""))
    }

    @Test func aWrongFallbackValueNamesTheKey() {
        #expect {
            _ = try RecipeLoader.parse("verify:\n  fallback: docstring\n", path: "r.yaml")
        } throws: { error in
            let message = (error as? PipelineError)?.errorDescription ?? ""
            return message.hasPrefix("r.yaml:2:") && message.contains("verify.fallback") && message.contains("none or original")
        }
    }
}
