import Foundation
import Pipeline
import SemiInstructCLI
import Store
import Testing

/// What a build refuses before any work: a recipe without inputs, and models that cannot be found.
@Suite struct PreflightTests {
    @Test func aRecipeWithoutInputsIsAnError() async throws {
        let run = try temporaryDirectory("preflight")
        defer { try? FileManager.default.removeItem(at: run) }
        let recipe = try RecipeLoader.parse("")
        await #expect {
            _ = try await BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: run.appendingPathComponent("run")), services: staticOnly,
                                      progress: ProgressReporter(mode: .quiet)).run()
        } throws: { error in
            (error as? PipelineError)?.errorDescription?.contains("'inputs': no inputs") == true
        }
        #expect(!FileManager.default.fileExists(atPath: run.appendingPathComponent("run").path), "nothing was made")
    }

    @Test func modelsThatCannotBeFoundFailBeforeAnyStage() async throws {
        let run = try temporaryDirectory("preflight")
        defer { try? FileManager.default.removeItem(at: run) }
        let file = run.appendingPathComponent("f.py")
        try "def f(x):\n    return x + 1\n".write(to: file, atomically: true, encoding: .utf8)
        for (key, yaml) in [("models.embedder", "models:\n  embedder: no-such-embedder\n"),
                            ("models.generator", "models:\n  generator: no-such-generator.gguf\n")] {
            var recipe = try RecipeLoader.parse(yaml)
            recipe.inputs = [.init(path: file.path)]
            let services = BuildServices.real(recipe: recipe, workers: 1, progress: ProgressReporter(mode: .quiet))
            await #expect {
                _ = try await BuildRunner(recipe: recipe, options: BuildOptions(runDirectory: run.appendingPathComponent("run")), services: services,
                                          progress: ProgressReporter(mode: .quiet)).run()
            } throws: { error in
                let message = (error as? PipelineError)?.errorDescription ?? ""
                return message.contains("'\(key)'") && message.contains("no-such")
            }
        }
        // Without dedup the embedder is never loaded, so its name is not checked either.
        let undeduplicated = try RecipeLoader.parse("models:\n  embedder: no-such-embedder\ndedup:\n  enabled: false\n")
        try BuildServices.real(recipe: undeduplicated, workers: 1, progress: ProgressReporter(mode: .quiet)).preflight()
        // A run that stops before the model stages needs no model at all.
        var recipe = try RecipeLoader.parse("models:\n  generator: no-such-generator.gguf\n")
        recipe.inputs = [.init(path: file.path)]
        var options = BuildOptions(runDirectory: run.appendingPathComponent("run-2"))
        options.until = .prefilter
        let result = try await BuildRunner(recipe: recipe, options: options, services: .real(recipe: recipe, workers: 1, progress: ProgressReporter(mode: .quiet)),
                                           progress: ProgressReporter(mode: .quiet)).run()
        #expect(result.collected == 1)
    }

    /// The lock is on the run directory, which no one deletes as stale; the database is the builder's alone to read.
    @Test func aSecondWriterIsRefusedAndTheDatabaseIsOwnerOnly() async throws {
        let run = try temporaryDirectory("preflight")
        defer { try? FileManager.default.removeItem(at: run) }
        let file = run.appendingPathComponent("f.py")
        try "def f(x):\n    return x + 1\n".write(to: file, atomically: true, encoding: .utf8)
        var recipe = Recipe()
        recipe.inputs = [.init(path: file.path)]
        var options = BuildOptions(runDirectory: run.appendingPathComponent("run"))
        options.until = .prefilter
        let first = try await BuildRunner(recipe: recipe, options: options, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
        let mode = try FileManager.default.attributesOfItem(atPath: first.databasePath)[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(String(mode ?? 0, radix: 8))")

        var held: RunLock? = try RunLock(directory: run.appendingPathComponent("run"))
        await #expect {
            _ = try await BuildRunner(recipe: recipe, options: options, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run()
        } throws: { error in
            (error as? StoreError)?.errorDescription?.contains("another semi-instruct process is writing this run") == true
        }
        #expect(held != nil)
        held = nil
        // Released, the run resumes.
        #expect(try await BuildRunner(recipe: recipe, options: options, services: staticOnly, progress: ProgressReporter(mode: .quiet)).run().collected == 1)
    }
}
