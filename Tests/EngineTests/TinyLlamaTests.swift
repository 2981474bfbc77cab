// Tiny random Llama models in every tensor type (written by scripts/fixtures/tiny_llama.py) against a
// float64 numpy reference: prefill, float decode and int8 decode paths.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing

enum TinyLlama {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-llama")

    struct Expected {
        let tokens: [Int]
        let logits: [String: [[Float]]]
    }

    static func expected() throws -> Expected {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        let root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let models = root["models"] as! [String: [String: Any]]
        return Expected(tokens: root["tokens"] as! [Int],
                        logits: models.mapValues { ($0["logits"] as! [[Double]]).map { $0.map(Float.init) } })
    }

    static func model(_ type: String) throws -> LlamaModel {
        let gguf = try GGUFFile(url: directory.appendingPathComponent("tiny-\(type).gguf"))
        let config = try LlamaConfiguration(gguf: gguf)
        return try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 2)
    }

    static func maxDifference(_ a: some Collection<Float>, _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }
}

struct TinyLlamaTests {
    static let types = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1"]

    @Test(arguments: types)
    func prefillMatchesReference(type: String) throws {
        let expected = try TinyLlama.expected()
        let model = try TinyLlama.model(type)
        let rows = try #require(expected.logits[type])
        // 12 tokens go through the batched sgemm path; 9 then 3 (single steps) continue after a prefill.
        let session = model.makeSession(capacity: 16, precision: .float)
        defer { withExtendedLifetime(session) {} }
        let afterNine = Array(session.process(Array(expected.tokens.prefix(9))))
        #expect(TinyLlama.maxDifference(afterNine, rows[8]) < 1e-3)
        let afterAll = Array(session.process(Array(expected.tokens.suffix(3))))
        #expect(TinyLlama.maxDifference(afterAll, rows[11]) < 1e-3)
        let whole = model.makeSession(capacity: 16, precision: .float)
        defer { withExtendedLifetime(whole) {} }
        #expect(TinyLlama.maxDifference(Array(whole.process(expected.tokens)), rows[11]) < 1e-3)
    }

    @Test(arguments: types)
    func floatDecodeMatchesReference(type: String) throws {
        let expected = try TinyLlama.expected()
        let model = try TinyLlama.model(type)
        let rows = try #require(expected.logits[type])
        let session = model.makeSession(capacity: 16, precision: .float)
        defer { withExtendedLifetime(session) {} }
        for (position, token) in expected.tokens.enumerated() {
            let difference = TinyLlama.maxDifference(session.decode(token), rows[position])
            #expect(difference < 1e-3, "\(type) position \(position): \(difference)")
        }
    }

    @Test(arguments: types)
    func int8DecodeStaysClose(type: String) throws {
        let expected = try TinyLlama.expected()
        let model = try TinyLlama.model(type)
        let rows = try #require(expected.logits[type])
        let session = model.makeSession(capacity: 16, precision: .int8)
        defer { withExtendedLifetime(session) {} }
        for (position, token) in expected.tokens.enumerated() {
            let logits = Array(session.decode(token))
            let scale = rows[position].map(abs).max()!
            let difference = TinyLlama.maxDifference(logits, rows[position])
            // 8-bit activations cost a few percent of the logit range of these random weights; float weights read floats.
            let tolerance: Float = type.hasPrefix("Q") ? 0.06 * scale : 1e-3
            #expect(difference < tolerance, "\(type) position \(position): \(difference) (range \(scale))")
        }
    }

    /// The F32 model as a Hugging Face checkpoint: other tensor names, q/k in rotate-half order.
    @Test func huggingFaceCheckpointGivesTheSameLogits() throws {
        let expected = try TinyLlama.expected()
        let rows = try #require(expected.logits["F32"])
        let directory = TinyLlama.directory.appendingPathComponent("hf")
        let config = try LlamaConfiguration(configJSON: directory.appendingPathComponent("config.json"))
        let model = try LlamaModel(config: config, source: SafetensorsWeightSource(directory: directory),
                                   names: .huggingFace, threads: 2)
        #expect(model.rope.style == .halves)
        let whole = model.makeSession(capacity: 16, precision: .float)
        defer { withExtendedLifetime(whole) {} }
        #expect(TinyLlama.maxDifference(Array(whole.process(expected.tokens)), rows[11]) < 1e-3)
        let session = model.makeSession(capacity: 16, precision: .float)
        defer { withExtendedLifetime(session) {} }
        for (position, token) in expected.tokens.enumerated() {
            #expect(TinyLlama.maxDifference(session.decode(token), rows[position]) < 1e-3, "position \(position)")
        }
        // Without tokenizer.json the directory is not a usable model: a typed error naming the file.
        let error = #expect(throws: EngineError.self) { try ModelLoader.load(directory.path, threads: 1) }
        #expect(error?.localizedDescription.contains("tokenizer.json") == true)
    }

    @Test func configurationComesFromTheMetadata() throws {
        let gguf = try GGUFFile(url: TinyLlama.directory.appendingPathComponent("tiny-Q8_0.gguf"))
        let config = try LlamaConfiguration(gguf: gguf)
        #expect(config == LlamaConfiguration(hiddenSize: 64, intermediateSize: 96, layerCount: 2, headCount: 4, kvHeadCount: 2,
                                             vocabularySize: 80, contextLength: 64, rmsNormEpsilon: 1e-5, ropeTheta: 10000,
                                             tiedEmbeddings: false))
        let tied = try LlamaConfiguration(gguf: GGUFFile(url: TinyLlama.directory.appendingPathComponent("tiny-Q4_1.gguf")))
        #expect(tied.tiedEmbeddings)
    }

    @Test func huggingFaceConfigJSONGivesTheSameConfiguration() throws {
        let json = """
        {"model_type": "llama", "hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30,
         "num_attention_heads": 9, "num_key_value_heads": 3, "vocab_size": 49152, "max_position_embeddings": 8192,
         "rms_norm_eps": 1e-05, "rope_theta": 100000, "tie_word_embeddings": true}
        """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try LlamaConfiguration(configJSON: url)
        #expect(config == LlamaConfiguration(hiddenSize: 576, intermediateSize: 1536, layerCount: 30, headCount: 9,
                                             kvHeadCount: 3, vocabularySize: 49152, contextLength: 8192,
                                             rmsNormEpsilon: 1e-5, ropeTheta: 100000, tiedEmbeddings: true))
        try Data(#"{"model_type": "bert", "hidden_size": 384}"#.utf8).write(to: url)
        #expect(throws: EngineError.self) { try LlamaConfiguration(configJSON: url) }
    }

    @Test func missingTensorNamesTheFileAndTensor() throws {
        let gguf = try GGUFFile(url: TinyLlama.directory.appendingPathComponent("tiny-F32.gguf"))
        var config = try LlamaConfiguration(gguf: gguf)
        config.layerCount = 3
        let error = #expect(throws: EngineError.self) {
            try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 1)
        }
        #expect(error?.localizedDescription.contains("blk.2.attn_norm.weight") == true)
        #expect(error?.localizedDescription.contains("tiny-F32.gguf") == true)
        config.layerCount = 2
        config.intermediateSize = 128
        let shape = #expect(throws: EngineError.self) {
            try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 1)
        }
        #expect(shape?.localizedDescription.contains("blk.0.ffn_gate.weight has shape [64, 96], expected [64, 128]") == true)
    }
}
