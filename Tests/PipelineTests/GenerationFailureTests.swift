// A request the generator cannot run (too long for the model, a constraint dead end) rejects its own
// sample with `generation-failed` and the call on record; the other samples of the batch go on.
import Foundation
import Pipeline
import SemiInstructCLI
import Store
import Testing

@Suite(.serialized) struct GenerationFailureTests {
    @Test func aFailedRequestRejectsOnlyItsSample() async throws {
        let run = try temporaryDirectory("generation-failed")
        defer { try? FileManager.default.removeItem(at: run) }
        let tooLong = "the prompt and the tokens to generate (9000) do not fit the context of 8192 tokens"
        let generator = ScriptedGenerator(
            inputs: ["f": ["f([1, 2, 3], 2)", "f([], 3)", "f([1], 1)"], "rle": ["rle('aab')", "rle('')", "rle('x')"],
                     "grp": ["grp([(1, 'a')])", "grp([])", "grp([('x', 1)])"], "dedupe": ["dedupe([1])", "dedupe([])", "dedupe('aa')"]],
            failures: ["rewrite:dedupe": tooLong, "inputs:rle": "constrained decoding: no token continues the grammar"])
        var recipe = Recipe()
        recipe.inputs = [.init(path: BuildPipelineTests.lists.path)]
        recipe.tests.count = 3
        recipe.dedup.enabled = false
        var options = BuildOptions(runDirectory: run)
        options.until = .rewrite
        let settings = recipe
        let services = BuildServices(generator: { generator }, runner: { roots in
            try SandboxCodeRunner(settings: settings.sandbox, floatTolerance: 1e-9, workers: 2, sourceRoots: roots)
        }, embedder: { throw NoServices() })
        let result = try await BuildRunner(recipe: recipe, options: options, services: services, progress: ProgressReporter(mode: .quiet)).run()
        let store = try RunDatabase(path: result.databasePath)
        let rewrite = try decisions(store, stage: "rewrite")
        let inputs = try decisions(store, stage: "test-inputs")
        #expect(rewrite["lists.py:dedupe"] == "generation-failed")
        #expect(inputs["lists.py:rle"] == "generation-failed")
        for name in ["f", "grp", "dedupe"] { #expect(inputs["lists.py:\(name)"] == "kept", "\(name)") }
        for name in ["f", "grp"] { #expect(rewrite["lists.py:\(name)"] == "kept", "\(name)") }

        // The failure's message is the detail; every attempt's call is recorded.
        let dedupe = try #require(try store.samples().first { $0.entryPoint == "dedupe" })
        #expect(try store.outcome(of: dedupe.id, stage: "rewrite")?.detail == tooLong)
        #expect(try store.modelCalls(of: dedupe.id).filter { $0.stage == "rewrite" }.count == recipe.sampling.attempts)
        let rle = try #require(try store.samples().first { $0.entryPoint == "rle" })
        #expect(try store.outcome(of: rle.id, stage: "test-inputs")?.detail == "constrained decoding: no token continues the grammar")
        // Every sample ends kept or rejected at each stage it reaches, and so on down the funnel.
        var incoming = result.collected
        for stage in result.funnel where stage.kept + stage.rejected > 0 {
            #expect(stage.kept + stage.rejected == incoming, "\(stage.stage)")
            incoming = stage.kept
        }
    }
}
