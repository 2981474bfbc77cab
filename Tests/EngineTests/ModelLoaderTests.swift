// Resolving MODEL arguments, and generation settings end to end on SmolLM2 (stop strings, limits, seeds).
import Engine
import Foundation
import ModelFiles
import Testing
import Tokenizers

struct ModelLoaderTests {
    @Test func resolvesFilesDirectoriesAndCachedNames() throws {
        let tiny = TinyLlama.directory.appendingPathComponent("tiny-Q4_1.gguf")
        #expect(try ModelLoader.resolve(tiny.path) == tiny)
        // A directory resolves to its (first) GGUF file.
        #expect(try ModelLoader.resolve(TinyLlama.directory.path).lastPathComponent == "tiny-BF16.gguf")
        if let cached = ModelCache.model(named: "smollm2"),
           FileManager.default.fileExists(atPath: ModelCache.checkedFile(of: cached).path) {
            #expect(try ModelLoader.resolve("smollm2") == ModelCache.checkedFile(of: cached))
        }
        let missing = #expect(throws: EngineError.self) { try ModelLoader.resolve("/nonexistent/model.gguf") }
        #expect(missing?.localizedDescription.contains("not a cached model") == true)
    }

    @Test func aModelWithoutATokenizerIsATypedError() throws {
        let tiny = TinyLlama.directory.appendingPathComponent("tiny-Q8_0.gguf")
        let error = #expect(throws: EngineError.self) { try ModelLoader.load(file: tiny, threads: 1) }
        #expect(error?.localizedDescription.contains("tokenizer.ggml.model is missing") == true)
        #expect(error?.localizedDescription.contains("tiny-Q8_0.gguf") == true)
    }
}

@Suite(.serialized, .enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct GenerationSettingsTests {
    let question = Prompt.chat([ChatMessage(role: .user, content: "What is the capital of France?")])

    @Test func stopStringsCutTheText() throws {
        let generator = LlamaGenerator(try #require(SmolLM2Fixtures.loaded))
        let result = try generator.generate(GenerationRequest(prompt: question, settings: SamplingSettings(stop: [" is"])))
        #expect(result.text == "The capital of France")
        #expect(result.finishReason == .stopString)
    }

    @Test func maxTokensLimitsTheOutput() throws {
        let generator = LlamaGenerator(try #require(SmolLM2Fixtures.loaded))
        var streamed = ""
        let result = try generator.generate(GenerationRequest(prompt: question, settings: SamplingSettings(maxTokens: 3))) {
            streamed += $0
        }
        #expect(result.ids.count == 3)
        #expect(result.finishReason == .maxTokens)
        #expect(streamed == result.text && result.text == "The capital of")
    }

    @Test func seededSamplingIsReproducible() throws {
        let generator = LlamaGenerator(try #require(SmolLM2Fixtures.loaded))
        let settings = SamplingSettings(temperature: 0.9, topK: 40, topP: 0.95, minP: 0.05, seed: 1234, maxTokens: 24)
        let first = try generator.generate(GenerationRequest(prompt: .text("Once upon a time"), settings: settings))
        let second = try generator.generate(GenerationRequest(prompt: .text("Once upon a time"), settings: settings))
        #expect(first.ids == second.ids && first.ids.count == 24)
        let batch = try generator.generate(batch: [GenerationRequest(prompt: .text("Once upon a time"), settings: settings)])
        #expect(batch.first?.ids == first.ids)
    }

    @Test func emptyPromptsAreRejected() throws {
        let generator = LlamaGenerator(try #require(SmolLM2Fixtures.loaded))
        #expect(throws: EngineError.self) { try generator.generate(GenerationRequest(prompt: .text(""))) }
    }
}
