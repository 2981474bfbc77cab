// MiniCPM (Llama + muP scales) against the numpy reference of scripts/fixtures/tiny_minicpm.py, from every
// file form: a safetensors directory, torch.save's pytorch_model.bin, and GGUF (F32, Q8_0).
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing
import Tokenizers

struct TinyMiniCPMTests {
    static let tolerance: Float = 1e-3

    @Test(arguments: ["small", "kquant"])
    func safetensorsDirectoryMatchesReference(model: String) throws {
        let expected = try TinyMiniCPM.expected(model)
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TinyMiniCPM.writeSafetensors(model, into: directory)
        let llama = try TinyMiniCPM.huggingFaceModel(directory)
        #expect(llama.rope.style == .halves)
        let rows = TinyMiniCPM.decodeLogits(llama, expected.tokens)
        for (position, row) in rows.enumerated() {
            #expect(TinyMiniCPM.maxDifference(row, expected.logits[position]) < Self.tolerance, "position \(position)")
        }
        #expect(TinyMiniCPM.maxDifference(TinyMiniCPM.prefillLogits(llama, expected.tokens), expected.logits.last!) < Self.tolerance)
    }

    @Test func pytorchCheckpointMatchesReferenceInPlace() throws {
        let expected = try TinyMiniCPM.expected("small")
        let llama = try TinyMiniCPM.huggingFaceModel(TinyMiniCPM.directory.appendingPathComponent("small"))
        // BF16 weights are used where they lie in the mapped zip, not converted.
        #expect(llama.weights.layers[0].query.type == .bf16)
        #expect(llama.weights.output.data == llama.weights.embedding.data)
        let rows = TinyMiniCPM.decodeLogits(llama, expected.tokens)
        for (position, row) in rows.enumerated() {
            #expect(TinyMiniCPM.maxDifference(row, expected.logits[position]) < Self.tolerance, "position \(position)")
        }
        #expect(TinyMiniCPM.maxDifference(TinyMiniCPM.prefillLogits(llama, expected.tokens), expected.logits.last!) < Self.tolerance)
    }

    @Test(arguments: ["small", "kquant"])
    func ggufF32MatchesReference(model: String) throws {
        let expected = try TinyMiniCPM.expected(model)
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("f32.gguf")
        try TinyMiniCPM.writeGGUF(model, to: url) { _, _, _ in .f32 }
        let llama = try TinyMiniCPM.ggufModel(url)
        #expect(llama.rope.style == .interleaved)
        #expect(llama.config.architecture == .minicpm && llama.config.tiedEmbeddings)
        let rows = TinyMiniCPM.decodeLogits(llama, expected.tokens)
        for (position, row) in rows.enumerated() {
            #expect(TinyMiniCPM.maxDifference(row, expected.logits[position]) < Self.tolerance, "position \(position)")
        }
        #expect(TinyMiniCPM.maxDifference(TinyMiniCPM.prefillLogits(llama, expected.tokens), expected.logits.last!) < Self.tolerance)
    }

    /// Q8_0 weights (and 8-bit activations on the int8 path) stay within a small fraction of the logit range.
    @Test(arguments: ["small", "kquant"])
    func ggufQ8_0StaysCloseToReference(model: String) throws {
        let expected = try TinyMiniCPM.expected(model)
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("q8_0.gguf")
        try TinyMiniCPM.writeGGUF(model, to: url) { _, _, _ in .q8_0 }
        let llama = try TinyMiniCPM.ggufModel(url)
        #expect(llama.weights.layers[1].down.type == .q8_0 && llama.weights.embedding.type == .q8_0)
        for precision in [ActivationPrecision.float, .int8] {
            let rows = TinyMiniCPM.decodeLogits(llama, expected.tokens, precision: precision)
            for (position, row) in rows.enumerated() {
                let error = TinyMiniCPM.relativeRMS(row, expected.logits[position])
                #expect(error < 0.02, "\(precision) position \(position): relative RMS \(error)")
            }
        }
    }

    /// Abacus-Q4_K_M's type mix on the K-quant-shaped model: Q4_K, Q6_K, and Q5_0/Q8_0 for ffn_down (640 columns).
    @Test func ggufQ4KMMixStaysCloseToReference() throws {
        let expected = try TinyMiniCPM.expected("kquant")
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("q4_k_m.gguf")
        let quantizers = Dictionary(uniqueKeysWithValues: [TensorType.q4_K, .q5_0, .q6_K, .q8_0].map { type in
            (type, { (values: [Float]) in Quantize.row(values, to: type) })
        })
        try TinyMiniCPM.writeGGUF("kquant", to: url, quantize: quantizers) { name, _, columns in
            GGUFQuantMix.q4KM(name, layerCount: expected.spec.layers, columns: columns, tiedHead: true)
        }
        let llama = try TinyMiniCPM.ggufModel(url)
        let w = llama.weights
        #expect(w.embedding.type == .q6_K && w.layers[0].query.type == .q4_K && w.layers[1].gate?.type == .q4_K)
        #expect(w.layers[0].value.type == .q4_K && w.layers[1].value.type == .q6_K)
        #expect(w.layers[0].down.type == .q5_0 && w.layers[1].down.type == .q8_0)
        for precision in [ActivationPrecision.float, .int8] {
            let rows = TinyMiniCPM.decodeLogits(llama, expected.tokens, precision: precision)
            for (position, row) in rows.enumerated() {
                let error = TinyMiniCPM.relativeRMS(row, expected.logits[position])
                #expect(error < 0.08, "\(precision) position \(position): relative RMS \(error)")
            }
        }
        // Against the same quantized weights dequantized to F32: only the dot products' arithmetic differs.
        let dequantized = directory.appendingPathComponent("dequantized.gguf")
        try TinyMiniCPM.dequantizeGGUF(url, to: dequantized)
        let reference = TinyMiniCPM.decodeLogits(try TinyMiniCPM.ggufModel(dequantized), expected.tokens)
        for (position, row) in TinyMiniCPM.decodeLogits(llama, expected.tokens).enumerated() {
            #expect(TinyMiniCPM.maxDifference(row, reference[position]) < Self.tolerance, "position \(position)")
        }
        // Prefill dequantizes the K-quant rows for sgemm: the same numbers again.
        #expect(TinyMiniCPM.maxDifference(TinyMiniCPM.prefillLogits(llama, expected.tokens), reference.last!) < Self.tolerance)
    }

    /// The same weights as safetensors, torch.save zip and GGUF give the same logits.
    @Test func threeFileFormsAgree() throws {
        let expected = try TinyMiniCPM.expected("small")
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TinyMiniCPM.writeSafetensors("small", into: directory)
        let gguf = directory.appendingPathComponent("f32.gguf")
        try TinyMiniCPM.writeGGUF("small", to: gguf) { _, _, _ in .f32 }
        let forms = [
            try TinyMiniCPM.huggingFaceModel(directory),
            try TinyMiniCPM.huggingFaceModel(TinyMiniCPM.directory.appendingPathComponent("small")),
            try TinyMiniCPM.ggufModel(gguf),
        ].map { TinyMiniCPM.decodeLogits($0, expected.tokens) }
        for other in forms.dropFirst() {
            for (a, b) in zip(forms[0], other) { #expect(TinyMiniCPM.maxDifference(a, b) < 1e-4) }
        }
    }

    // MARK: - Configuration

    @Test func configJSONGivesTheScales() throws {
        let config = try LlamaConfiguration(configJSON: TinyMiniCPM.directory.appendingPathComponent("small/config.json"))
        #expect(config.architecture == .minicpm)
        #expect(config.embeddingScale == 12)
        #expect(abs(config.residualScale - 0.6 / Float(2).squareRoot()) < 1e-7)
        #expect(config.logitScale == 4)
        #expect(config.tiedEmbeddings && config.kvHeadCount == 4)
        // The type's own JSON (model info --json) keeps the derived scales.
        #expect(try JSONDecoder().decode(LlamaConfiguration.self, from: JSONEncoder().encode(config)) == config)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("minicpm-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        let text = try String(contentsOf: TinyMiniCPM.directory.appendingPathComponent("small/config.json"), encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"scale_emb\"", with: "\"scale_emb_renamed\"").utf8).write(to: url)
        let error = #expect(throws: EngineError.self) { try LlamaConfiguration(configJSON: url) }
        #expect(error?.localizedDescription.contains("scale_emb: missing") == true)
    }

    @Test func ggufScaleKeysAndTheirFallback() throws {
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let with = directory.appendingPathComponent("with.gguf"), without = directory.appendingPathComponent("without.gguf")
        try TinyMiniCPM.writeGGUF("kquant", to: with) { _, _, _ in .q8_0 }
        try TinyMiniCPM.writeGGUF("kquant", to: without, scaleKeys: false) { _, _, _ in .q8_0 }
        let keyed = try LlamaConfiguration(gguf: GGUFFile(url: with))
        #expect(keyed.embeddingScale == 12 && keyed.logitScale == 8)
        #expect(abs(keyed.residualScale - 0.6 / Float(2).squareRoot()) < 1e-7)
        // Without the keys: MiniCPM-2B's constants, scale_emb 12, scale_depth 1.4, dim_model_base 256.
        let fallback = try LlamaConfiguration(gguf: GGUFFile(url: without))
        #expect(fallback.embeddingScale == 12)
        #expect(abs(fallback.residualScale - 1.4 / Float(2).squareRoot()) < 1e-7)
        #expect(fallback.logitScale == 1)
        #expect(fallback.architecture == .minicpm)
    }

    @Test func abacusShapedConfigurationFromMetadataAlone() throws {
        // Abacus-Q4_K_M.gguf as FACTS.md describes it, without minicpm.*_scale keys: logits divided by 2304/256 = 9.
        let config = try metadataConfiguration([("general.architecture", GGUFValue.string("minicpm")), ("minicpm.embedding_length", .uint32(2304)),
                                                 ("minicpm.feed_forward_length", .uint32(5760)), ("minicpm.block_count", .uint32(40)),
                                                 ("minicpm.attention.head_count", .uint32(36)), ("minicpm.attention.head_count_kv", .uint32(36)),
                                                 ("minicpm.vocab_size", .uint32(122_753)), ("minicpm.context_length", .uint32(4096))])
        #expect(config.headDimension == 64 && config.kvDimension == 2304)
        #expect(config.embeddingScale == 12 && config.logitScale == 9)
        #expect(abs(config.residualScale - 1.4 / Float(40).squareRoot()) < 1e-7)
    }

    @Test func minicpmWithoutTemplateMetadataGetsItsPromptFormat() throws {
        #expect(DecoderArchitecture.minicpm.defaultChatTemplate == .minicpm)
        #expect(DecoderArchitecture.llama.defaultChatTemplate == nil)
        let prompt = try ChatTemplate.minicpm.render([ChatMessage(role: .user, content: "Sort a list.")])
        #expect(prompt == "<用户>Sort a list.<AI>")
    }
}
