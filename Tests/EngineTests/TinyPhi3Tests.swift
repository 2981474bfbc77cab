// Phi-3 (q/k/v and gate/up each stored as one tensor, split at load; NEOX RoPE) against transformers: a tiny random
// model saved by transformers and converted by llama.cpp's convert_hf_to_gguf.py (Tests/Fixtures/tiny-phi3, made by
// scripts/fixtures/tiny_phi3.py), read from both forms.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing

struct TinyPhi3Tests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-phi3")

    static func expected() throws -> TinyFamilies.Model {
        let file = try JSONDecoder().decode(TinyFamilies.File.self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
        return try #require(file.models["phi3"])
    }

    static func url(_ form: String) -> URL { directory.appendingPathComponent(form == "hf" ? "hf" : "tiny-phi3-\(form).gguf") }

    @Test(arguments: ["hf", "F32"])
    func logitsAndTranscriptMatchTransformers(form: String) throws {
        let expected = try Self.expected()
        let loaded = try ModelLoader.load(file: Self.url(form), threads: 2)
        #expect(loaded.config.architecture == .phi3 && loaded.config.features == DecoderFeatures(fusedTensors: true))
        // The converter writes a window of 0 for none: nothing is cut.
        #expect(loaded.config.contextLength == 512 && loaded.config.slidingWindow == nil)
        try TinyFamilies.expectMatch(loaded, expected, tolerance: 1e-3, form)
    }

    /// The fused tensors' parts are read in place, in the file's order (the fixture records that gate and up swapped move
    /// the logits by 10.7).
    @Test func theFusedPartsAreInTheirOrder() throws {
        let expected = try Self.expected()
        let gguf = try GGUFFile(url: Self.url("F32"))
        let config = try LlamaConfiguration(gguf: gguf)
        let model = try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: 2)
        let layer = model.weights.layers[0]
        let fused = try gguf.matrix("blk.0.ffn_up.weight", rows: 2 * config.intermediateSize, columns: config.hiddenSize)
        // Layer 0's gate is the fused tensor's first half, its up the second.
        #expect(layer.gate?.data == fused.rowPointer(0) && layer.up.data == fused.rowPointer(config.intermediateSize))
        #expect(TinyQwen.maxDifference(TinyFamilies.logits(model, expected), expected.logits) < 1e-3)
    }
}
