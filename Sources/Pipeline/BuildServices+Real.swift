// The real services of a build: the embedded engine, the sandbox and the sentence encoder.
import Foundation

extension BuildServices {
    public static func real(recipe: Recipe, workers: Int, progress: ProgressReporter) -> BuildServices {
        BuildServices(
            generator: {
                progress.message("loading generator \(recipe.models.generator)")
                return try EngineChatGenerator(model: recipe.models.generator, chatTemplate: recipe.models.chatTemplate,
                                               threads: ProcessInfo.processInfo.activeProcessorCount)
            },
            runner: { moduleRoots in
                if recipe.sandbox.unsafeNoSandbox {
                    progress.message("warning: untrusted code runs WITHOUT a sandbox (--unsafe-no-sandbox)")
                }
                return try SandboxCodeRunner(settings: recipe.sandbox, floatTolerance: recipe.verify.floatTolerance, workers: workers,
                                             sourceRoots: moduleRoots)
            },
            embedder: {
                progress.message("loading embedder \(recipe.models.embedder)")
                return try EncoderEmbedding(model: recipe.models.embedder)
            })
    }
}
