// `models.generator` as a mapping names a model on another machine; every value of it is checked when the recipe
// loads, with the key and its line.
import Foundation
import Pipeline
import Testing

@Suite struct RecipeEndpointTests {
    func message(_ yaml: String) -> String {
        do {
            _ = try RecipeLoader.parse(yaml, path: "r.yaml")
            return "(loaded)"
        } catch {
            return (error as? PipelineError)?.errorDescription ?? "\(error)"
        }
    }

    @Test func aGeneratorMappingIsAnEndpointOverItsDefaults() throws {
        let recipe = try RecipeLoader.parse("""
            models:
              generator:
                endpoint: http://gpu-box:8000/v1
                model: Qwen/Qwen2.5-Coder-7B-Instruct
                api_key_env: OPENAI_API_KEY
                concurrency: 64
            """)
        #expect(recipe.models.generator == "Qwen/Qwen2.5-Coder-7B-Instruct")
        var expected = Recipe.Endpoint(endpoint: "http://gpu-box:8000/v1")
        expected.apiKeyEnv = "OPENAI_API_KEY"
        expected.concurrency = 64
        #expect(recipe.models.generatorEndpoint == expected)
        #expect(try RecipeLoader.parse("models: {generator: smollm2}").models.generatorEndpoint == nil)
    }

    @Test func eachWrongValueNamesItsKeyAndLine() {
        let base = "name: x\nmodels:\n  generator:\n    endpoint: http://gpu-box:8000/v1\n    model: m\n"
        let unknown = message(base + "    concurency: 4\n")
        #expect(unknown.hasPrefix("r.yaml:6:") && unknown.contains("models.generator.concurency") && unknown.contains("unknown key"), "\(unknown)")
        let noModel = message("models:\n  generator:\n    endpoint: http://gpu-box:8000/v1\n")
        #expect(noModel.contains("models.generator.model") && noModel.contains("expected the name"), "\(noModel)")
        let notURL = message("models:\n  generator:\n    endpoint: gpu-box:8000\n    model: m\n")
        #expect(notURL.hasPrefix("r.yaml:3:") && notURL.contains("models.generator.endpoint") && notURL.contains("http://"), "\(notURL)")
        let keyItself = message(base + "    api_key_env: sk-proj-123\n")
        #expect(keyItself.hasPrefix("r.yaml:6:") && keyItself.contains("not the key itself"), "\(keyItself)")
        let none = message(base + "    concurrency: 0\n")
        #expect(none.hasPrefix("r.yaml:6:") && none.contains("models.generator.concurrency"), "\(none)")
        let wrongType = message(base + "    retries: many\n")
        #expect(wrongType.hasPrefix("r.yaml:6:") && wrongType.contains("models.generator.retries") && wrongType.contains("integer"),
                "\(wrongType)")
    }

    /// The embedder takes the same mapping, checked the same way; a server kind must be one `build` knows.
    @Test func anEmbedderMappingIsAnEndpointToo() throws {
        let recipe = try RecipeLoader.parse("models:\n  embedder:\n    endpoint: http://gpu-box:8000/v1\n    model: bge-small\n    server: vllm\n")
        #expect(recipe.models.embedder == "bge-small" && recipe.models.generatorEndpoint == nil)
        var expected = Recipe.Endpoint(endpoint: "http://gpu-box:8000/v1")
        expected.server = "vllm"
        #expect(recipe.models.embedderEndpoint == expected)
        let badServer = message("name: x\nmodels:\n  embedder:\n    endpoint: http://h/v1\n    model: m\n    server: tgi\n")
        #expect(badServer.hasPrefix("r.yaml:6:") && badServer.contains("models.embedder.server") && badServer.contains("llama.cpp"), "\(badServer)")
        let unknown = message("models:\n  embedder:\n    endpoint: http://h/v1\n    model: m\n    batch: 4\n")
        #expect(unknown.contains("models.embedder.batch") && unknown.contains("unknown key"), "\(unknown)")
    }
}
