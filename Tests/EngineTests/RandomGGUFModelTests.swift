// The benchmark's random-weight writer on a small shape: llama.cpp's Q4_K_M types, the MiniCPM constants
// taken from an Abacus-like file without scale keys, and a model that decodes to finite logits.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing
import Tokenizers

struct RandomGGUFModelTests {
    /// `config` cut down to a few small layers, its family and features kept.
    static func small(_ config: LlamaConfiguration, layers: Int, intermediate: Int, kvHeads: Int) -> LlamaConfiguration {
        var small = config
        small.hiddenSize = 256
        small.intermediateSize = intermediate
        small.layerCount = layers
        small.headCount = 4
        small.kvHeadCount = kvHeads
        small.headDimension = 64
        small.vocabularySize = 300
        small.contextLength = 64
        return small
    }

    @Test func smallAbacusLikeModelLoadsAndDecodes() throws {
        let config = Self.small(RandomGGUFModel.abacusShape, layers: 8, intermediate: 640, kvHeads: 4)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("random-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = try RandomGGUFModel.writeQ4KM(config, to: url)
        let gguf = try GGUFFile(url: url)
        #expect(bytes == gguf.fileSize)
        #expect(gguf.value("minicpm.embedding_scale") == nil)
        let loaded = try LlamaConfiguration(gguf: gguf)
        // The published constants stand in for the missing keys: 12, 1.4 / sqrt(8), 256 / 256.
        #expect(loaded.architecture == .minicpm && loaded.embeddingScale == 12 && loaded.logitScale == 1)
        #expect(abs(loaded.residualScale - 1.4 / Float(8).squareRoot()) < 1e-7)
        let model = try LlamaModel(config: loaded, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 1)
        // use_more_bits over 8 layers: the first and last eighth (0, 7) and (i - 1) % 3 == 2 (3, 6) get Q6_K, which
        // ffn_down's 640 columns turn into Q8_0; the other layers get Q4_K, and Q5_0 for ffn_down.
        let moreBits = (0..<8).filter { GGUFQuantMix.usesMoreBits(layer: $0, of: 8) }
        #expect(moreBits == [0, 3, 6, 7])
        for (i, layer) in model.weights.layers.enumerated() {
            let more = moreBits.contains(i)
            #expect(layer.value.type == (more ? .q6_K : .q4_K) && layer.down.type == (more ? .q8_0 : .q5_0), "layer \(i)")
            #expect(layer.query.type == .q4_K && layer.gate?.type == .q4_K)
        }
        #expect(model.weights.embedding.type == .q6_K)
        let session = model.makeSession(capacity: 16)
        let logits = withExtendedLifetime(session) { Array(session.process([1, 2, 3, 4, 5, 6, 7, 8, 9])) + Array(session.decode(10)) }
        #expect(logits.allSatisfy(\.isFinite) && Set(logits).count > 100)
        // The placeholder vocabulary (for llama.cpp and `bench batch`): any text encodes in byte pieces and decodes back.
        let tokenizer = try TokenizerLoader.load(gguf: gguf)
        #expect(tokenizer.vocabularySize == 300 && tokenizer.bosID == 1 && tokenizer.endIDs.contains(2))
        let ids = tokenizer.encode("def f(x):\n    return x")
        let text = tokenizer.decode(ids)
        #expect(ids.allSatisfy { (3...259).contains($0) } && ids.filter { $0 == 259 }.count == 7, "\(ids)")
        #expect(text == "def f(x):\n    return x", "\(text.debugDescription)")
        #expect(tokenizer.token(299) == "\u{2581}t299" && tokenizer.token(3 + 0x0A) == "<0x0A>")
    }

    /// A flat random model's single sequence has hundreds of near-ties in its 8-bit head, rescored across the pool: it
    /// samples the same tokens as when it shares its steps with another sequence (each row's ties on one thread).
    @Test func manyNearTiesRescoreTheSameAloneAsInABatch() throws {
        var config = Self.small(RandomGGUFModel.abacusShape, layers: 2, intermediate: 512, kvHeads: 4)
        // A vocabulary as large as real ones': a random head's logits spread so that a few percent lie within 2 of the best.
        config.vocabularySize = 32_000
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("random-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try RandomGGUFModel.writeQ4KM(config, to: url)
        let loaded = try ModelLoader.load(file: url, threads: 2)
        let session = loaded.model.makeSession(capacity: 8)
        let logits = withExtendedLifetime(session) { Array(session.process([5, 6, 7])) }
        // Well past the 64 near-ties from which a single row's rescoring is split across the pool.
        let best = try #require(logits.max())
        #expect(logits.filter { $0 >= best - 2 }.count >= 128, "\(logits.filter { $0 >= best - 2 }.count) near-ties")
        let generator = LlamaGenerator(loaded)
        let prompts = [[5, 6, 7], [9, 10, 11, 12]]
        for settings in [SamplingSettings(maxTokens: 12), SamplingSettings(temperature: 0.8, seed: 3, maxTokens: 12)] {
            let alone = try prompts.map { try generator.generate(promptIDs: $0, settings: settings).ids }
            let together = try generator.run(prompts.map { BatchRequest(promptIDs: $0, settings: settings) }).map { try $0.get().ids }
            #expect(alone == together && alone.allSatisfy { $0.count >= 4 }, "\(alone) \(together)")
        }
    }

    /// The sibling shapes' features: Qwen2.5-Coder's q/k/v biases and 7B's separate head (Q6_K, as llama.cpp's mix).
    @Test func smallQwenLikeModelHasBiasesAndItsOwnHead() throws {
        let config = Self.small(try #require(RandomGGUFModel.shapes.first { $0.name == "qwen2.5-coder-7b" }).config, layers: 4,
                                intermediate: 512, kvHeads: 2)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("random-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try RandomGGUFModel.writeQ4KM(config, to: url)
        let gguf = try GGUFFile(url: url)
        let loaded = try LlamaConfiguration(gguf: gguf)
        #expect(loaded.architecture == .qwen2 && loaded.features.attentionBiases && !loaded.tiedEmbeddings && loaded.ropeTheta == 1_000_000)
        let model = try LlamaModel(config: loaded, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 1)
        #expect(model.weights.output.type == .q6_K && model.weights.embedding.type == .q4_K)
        #expect(model.weights.layers[0].biases?.key.count == 128)
        let session = model.makeSession(capacity: 16)
        let logits = withExtendedLifetime(session) { Array(session.process([1, 2, 3, 4, 5])) }
        // The head's rows come from a pool of 64 random rows: at most 64 distinct logits at one position.
        #expect(logits.allSatisfy(\.isFinite) && Set(logits).count > 20)
        #expect(RandomGGUFModel.shapes.map(\.name) == ["abacus", "qwen2.5-coder-1.5b", "qwen2.5-coder-7b", "deepseek-coder-1.3b"])
    }
}
