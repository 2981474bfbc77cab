// The real services of a build: the embedded engine or a model on another machine, the sandbox and the sentence encoder.
import Engine
import Foundation
import Pipeline

extension BuildServices {
    public static func real(recipe: Recipe, workers: Int, progress: ProgressReporter) -> BuildServices {
        BuildServices(
            generator: {
                if let endpoint = recipe.models.generatorEndpoint {
                    progress.message("generator \(recipe.models.generator) at \(endpoint.endpoint)")
                    return try RemoteChatGenerator(model: recipe.models.generator, endpoint: endpoint, report: { progress.message($0) })
                }
                progress.message("loading generator \(recipe.models.generator)")
                return try EngineChatGenerator(model: recipe.models.generator, chatTemplate: recipe.models.chatTemplate,
                                               promptPrecision: recipe.models.promptPrecision ?? "float",
                                               kvCache: recipe.models.kvCache ?? "f32", kvMemoryMib: recipe.models.kvMemoryMib,
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
                if let endpoint = recipe.models.embedderEndpoint {
                    progress.message("embedder \(recipe.models.embedder) at \(endpoint.endpoint)")
                    return try RemoteEmbedder(model: recipe.models.embedder, endpoint: endpoint)
                }
                progress.message("loading embedder \(recipe.models.embedder)")
                return try EmbedderLoader.load(recipe.models.embedder)
            },
            preflight: {
                do {
                    if let endpoint = recipe.models.generatorEndpoint {
                        _ = try endpoint.settings(model: recipe.models.generator)
                    } else {
                        _ = try ModelLoader.resolve(recipe.models.generator)
                    }
                } catch {
                    throw PipelineError.recipe(path: "recipe", line: nil, key: "models.generator", message: error.localizedDescription)
                }
                guard recipe.dedup.enabled else { return }
                do {
                    if let endpoint = recipe.models.embedderEndpoint {
                        _ = try endpoint.settings(model: recipe.models.embedder)
                        return
                    }
                    _ = try EmbedderLoader.locate(recipe.models.embedder)
                } catch {
                    throw PipelineError.recipe(path: "recipe", line: nil, key: "models.embedder", message: error.localizedDescription)
                }
            })
    }
}
