// GGUFQuantizer (`model quantize`): bytes as gguf-py's reference quantizers write them, metadata kept, the types
// asked for (norms F32, fallbacks where rows do not fill a block), logits close to the input's, errors not crashes.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing
import Tokenizers

enum QuantizerFixtures {
    static func quantize(_ input: URL, to type: String, in directory: URL) throws -> (URL, GGUFQuantizer) {
        let target = try #require(GGUFQuantTarget(name: type))
        let quantizer = try GGUFQuantizer(input: GGUFFile(url: input), target: target)
        let output = directory.appendingPathComponent("\(input.deletingPathExtension().lastPathComponent)-\(type).gguf")
        try quantizer.write(to: output, threads: 2)
        return (output, quantizer)
    }

    /// The tensor's bytes as stored in the file.
    static func bytes(_ file: GGUFFile, _ info: GGUFTensorInfo) throws -> [UInt8] {
        let rows = try file.rows(of: info)
        return Array(UnsafeRawBufferPointer(start: rows.data, count: rows.rows * rows.rowBytes))
    }

    static func layerCount(_ file: GGUFFile) throws -> Int {
        try file.requiredInt("\(file.requiredString("general.architecture")).block_count")
    }
}

struct GGUFQuantizerTests {
    /// tiny-llama's typed fixtures were quantized by gguf-py (ggml's reference rounding) from the floats in tiny-F32.
    @Test(arguments: ["Q8_0", "Q4_0", "Q4_1", "F16", "BF16"])
    func tinyLlamaMatchesGGUFPyBytes(type: String) throws {
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (url, _) = try QuantizerFixtures.quantize(TinyLlama.directory.appendingPathComponent("tiny-F32.gguf"), to: type, in: directory)
        let ours = try GGUFFile(url: url)
        let reference = try GGUFFile(url: TinyLlama.directory.appendingPathComponent("tiny-\(type).gguf"))
        #expect(ours.tensors.count == 20)
        for info in ours.tensors {
            let expected = try #require(reference.tensor(named: info.name))
            #expect(info.type == expected.type, "\(info.name)")
            #expect(try QuantizerFixtures.bytes(ours, info) == QuantizerFixtures.bytes(reference, expected), "\(info.name)")
        }
    }

    /// The K-quant-shaped MiniCPM from F32: every key kept, types as asked, logits near the float64 reference.
    @Test(arguments: [("Q8_0", Float(0.02)), ("Q4_K_M", Float(0.08))])
    func tinyMiniCPMKeepsMetadataAndStaysClose(type: String, tolerance: Float) throws {
        let expected = try TinyMiniCPM.expected("kquant")
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("f32.gguf")
        try TinyMiniCPM.writeGGUF("kquant", to: source) { _, _, _ in .f32 }
        let (url, quantizer) = try QuantizerFixtures.quantize(source, to: type, in: directory)
        let input = try GGUFFile(url: source), output = try GGUFFile(url: url)

        for key in input.keys where key != "general.file_type" {
            #expect(output.value(key) == input.value(key), "\(key)")
        }
        #expect(Set(output.keys).subtracting(input.keys).isSubset(of: ["general.file_type", "general.quantization_version"]))
        #expect(output.value("general.file_type") == .uint32(type == "Q8_0" ? 7 : 15))

        let layers = try QuantizerFixtures.layerCount(input)
        for info in output.tensors {
            let wanted: TensorType = info.shape.count == 1 ? .f32
                : type == "Q8_0" ? .q8_0 : GGUFQuantMix.q4KM(info.name, layerCount: layers, columns: info.shape[0], tiedHead: true)
            #expect(info.type == wanted, "\(info.name)")
        }
        if type == "Q4_K_M" {
            // FFN 640 is not a multiple of 256: ffn_down falls back (Q4_K -> Q5_0, Q6_K -> Q8_0), with a note.
            let down = try #require(quantizer.steps.first { $0.name == "blk.0.ffn_down.weight" })
            #expect(down.to == .q5_0 && down.note?.contains("do not fill Q4_K blocks of 256") == true)
            #expect(output.tensor(named: "token_embd.weight")?.type == .q6_K)
        }
        let llama = try TinyMiniCPM.ggufModel(url)
        for (position, row) in TinyMiniCPM.decodeLogits(llama, expected.tokens).enumerated() {
            let error = TinyMiniCPM.relativeRMS(row, expected.logits[position])
            #expect(error < tolerance, "position \(position): relative RMS \(error)")
        }
    }

    /// Hidden 64 fills no 256-value block: Q4_K falls back to Q5_0 everywhere, with the bytes `--type Q5_0` gives.
    @Test func kQuantOnShortRowsFallsBack() throws {
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = TinyLlama.directory.appendingPathComponent("tiny-F32.gguf")
        let (url, quantizer) = try QuantizerFixtures.quantize(source, to: "Q4_K", in: directory)
        let matrices = quantizer.steps.filter { $0.shape.count == 2 }
        #expect(matrices.count == 15 && matrices.allSatisfy { $0.to == .q5_0 && $0.note != nil })
        let (direct, _) = try QuantizerFixtures.quantize(source, to: "Q5_0", in: directory)
        let fallback = try GGUFFile(url: url), q5_0 = try GGUFFile(url: direct)
        for (a, b) in zip(fallback.tensors, q5_0.tensors) {
            let same = try QuantizerFixtures.bytes(fallback, a) == QuantizerFixtures.bytes(q5_0, b)
            #expect(a.type == b.type && same, "\(a.name)")
        }
        let session = try TinyMiniCPM.ggufModel(url).makeSession(capacity: 16, precision: .float)
        defer { withExtendedLifetime(session) {} }
        #expect(Array(session.process(try TinyLlama.expected().tokens)).allSatisfy(\.isFinite))
    }

    /// Same type in and out: bytes copied, nothing requantized.
    @Test func sameTypeCopiesBytes() throws {
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = TinyLlama.directory.appendingPathComponent("tiny-Q4_1.gguf")
        let (url, quantizer) = try QuantizerFixtures.quantize(source, to: "Q4_1", in: directory)
        let allCopied = quantizer.steps.allSatisfy { $0.copiesBytes }
        #expect(allCopied)
        let input = try GGUFFile(url: source), output = try GGUFFile(url: url)
        for (a, b) in zip(input.tensors, output.tensors) {
            #expect(try QuantizerFixtures.bytes(input, a) == QuantizerFixtures.bytes(output, b), "\(a.name)")
        }
    }

    @Test func badInputGivesErrors() throws {
        #expect(GGUFQuantTarget(name: "q4_k_m") == .q4KM && GGUFQuantTarget(name: "Q3_K") == nil)
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = TinyLlama.directory.appendingPathComponent("tiny-F32.gguf")

        // An existing output is refused and left as it was.
        let existing = directory.appendingPathComponent("existing.gguf")
        try Data("keep me".utf8).write(to: existing)
        let quantizer = try GGUFQuantizer(input: GGUFFile(url: source), target: .uniform(.q8_0))
        #expect(throws: ModelFileError.cannotOpen(file: existing.path, reason: "the output file already exists; remove it or choose another name")) {
            try quantizer.write(to: existing)
        }
        #expect(try Data(contentsOf: existing) == Data("keep me".utf8))

        // A truncated copy fails while the input is read, naming the file.
        let truncated = directory.appendingPathComponent("truncated.gguf")
        try Data(try Data(contentsOf: source).prefix(4000)).write(to: truncated)
        #expect {
            _ = try GGUFQuantizer(input: GGUFFile(url: truncated), target: .uniform(.q8_0))
        } throws: { error in
            (error as? ModelFileError)?.errorDescription?.contains(truncated.path) == true
        }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("truncated-Q8_0.gguf").path))
    }
}

/// SmolLM2 Q4_1 -> Q8_0: the requantized model answers a code prompt greedily with the same tokens.
@Suite(.serialized, .enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct SmolLM2QuantizeTests {
    @Test func q8_0GreedyOutputMatchesQ4_1() throws {
        let original = try #require(SmolLM2Fixtures.loaded)
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (url, quantizer) = try QuantizerFixtures.quantize(original.file, to: "Q8_0", in: directory)
        // token_embd is Q8_0 already (copied); the 210 Q4_1 matrices are requantized.
        #expect(quantizer.steps.filter { $0.from == .q4_1 && $0.to == .q8_0 }.count == 210)
        #expect(quantizer.steps.first { $0.name == "token_embd.weight" }?.copiesBytes == true)
        let requantized = try ModelLoader.load(file: url, threads: 2)
        #expect(requantized.tokenizer.encode("def fibonacci(n):", addSpecialTokens: false)
            == original.tokenizer.encode("def fibonacci(n):", addSpecialTokens: false))
        let prompt = original.tokenizer.encode("def fibonacci(n):", addSpecialTokens: false)
        let settings = SamplingSettings(maxTokens: 16)
        let before = try LlamaGenerator(original, precision: .float).generate(promptIDs: prompt, settings: settings)
        let after = try LlamaGenerator(requantized, precision: .float).generate(promptIDs: prompt, settings: settings)
        #expect(before.ids.count == 16)
        #expect(after.ids == before.ids)

        // llama-quantize's own Q8_0 of the same file: same keys, same types, the same bytes in every tensor.
        let reference = try #require(try SmolLM2Fixtures.json("llama_quantize.json")["Q8_0"] as? [String: Any])
        let output = try GGUFFile(url: url)
        #expect(output.keys.sorted() == reference["keys"] as? [String])
        let tensors = try #require(reference["tensors"] as? [[String: String]])
        #expect(tensors.count == output.tensors.count)
        for expected in tensors {
            let info = try #require(output.tensor(named: expected["name"]!))
            #expect(info.typeName == expected["type"], "\(info.name)")
            #expect(SHA256.hex(try QuantizerFixtures.bytes(output, info)) == expected["sha256"], "\(info.name)")
        }
    }

    /// llama-quantize's Q4_K_M of the same file gives each tensor the type our plan does (fallbacks included).
    @Test func q4KMTypesMatchLlamaQuantize() throws {
        let original = try #require(SmolLM2Fixtures.loaded)
        let reference = try #require(try SmolLM2Fixtures.json("llama_quantize.json")["Q4_K_M"] as? [String: Any])
        let tensors = try #require(reference["tensors"] as? [[String: String]])
        let plan = try GGUFQuantizer(input: GGUFFile(url: original.file), target: .q4KM).steps
        // llama-quantize writes the tensors in its own order: matched by name.
        let theirs = Dictionary(uniqueKeysWithValues: tensors.map { ($0["name"]!, $0["type"]!) })
        #expect(Set(plan.map(\.name)) == Set(theirs.keys))
        for step in plan {
            #expect(step.to.description == theirs[step.name], "\(step.name)")
        }
    }
}
