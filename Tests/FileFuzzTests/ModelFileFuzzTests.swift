// Fuzzing the model file readers: a small GGUF with every value type, a tokenizer and five tensor types,
// and a small safetensors file, each damaged a thousand and more ways.
import Foundation
import Kernels
import ModelFiles
import Testing
import Tokenizers

struct ModelFileFuzzTests {
    /// A GGUF of about 1.5 KB: metadata of every kind, a byte-level BPE tokenizer, and tensors of five types.
    static func smallGGUF() throws -> [UInt8] {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("general.name", .string("fuzz ▁ model"))
        writer.set("llama.block_count", .uint32(1))
        writer.set("test.nested", .array([.array([.int32(1), .int32(2)]), .array([])]))
        writer.set("test.values", .array([.float64(1.5), .float64(-2)]))
        writer.set("test.flag", .bool(true))
        let tokens = ["a", "b", "c", "Ġ", "ab", "abc", "Ġa", "<s>", "</s>"]
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string("gpt2"))
        writer.set("tokenizer.ggml.tokens", .array(tokens.map { .string($0) }))
        writer.set("tokenizer.ggml.merges", .array(["a b", "ab c", "Ġ a"].map { .string($0) }))
        writer.set("tokenizer.ggml.token_type", .array(tokens.map { .int32($0.hasPrefix("<") ? 3 : 1) }))
        writer.set("tokenizer.ggml.bos_token_id", .uint32(7))
        writer.set("tokenizer.ggml.eos_token_id", .uint32(8))
        try writer.addTensor("f32", shape: [8, 2], floats: (0..<16).map { Float($0) / 4 })
        try writer.addTensor("q8", shape: [32, 2], type: .q8_0, bytes: (0..<68).map { UInt8($0 * 3 % 251) })
        try writer.addTensor("q4", shape: [32], type: .q4_0, bytes: (0..<18).map { UInt8($0 * 7 % 251) })
        try writer.addTensor("f16", shape: [16], type: .f16, bytes: (0..<32).map { UInt8($0 % 60) })
        try writer.addTensor("bf16", shape: [4, 2], type: .bf16, bytes: (0..<16).map { UInt8($0 % 60) })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-seed-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    /// Loads the file, reads every tensor of a known type, and loads and runs its tokenizer.
    static func parseGGUF(_ url: URL) throws {
        let file = try GGUFFile(url: url)
        for tensor in file.tensors where tensor.type != nil {
            _ = try file.rows(of: tensor).dequantized()
        }
        let tokenizer = try TokenizerLoader.load(gguf: file)
        _ = tokenizer.decode(tokenizer.encode("abc abab<s> cz\u{0}é", addSpecialTokens: true))
    }

    @Test func damagedGGUFFilesLoadOrThrow() throws {
        let seed = try Self.smallGGUF()
        let headerEnd = try { () throws -> Int in
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-check-\(UUID().uuidString).gguf")
            defer { try? FileManager.default.removeItem(at: url) }
            try Data(seed).write(to: url)
            try Self.parseGGUF(url)
            return try GGUFFile(url: url).dataOffset
        }()
        var mutator = Mutator(seed: 22, original: seed, binaryRegion: 0..<headerEnd)
        let tally = try FuzzRun.run("gguf", rounds: 1500, mutator: &mutator, fileName: "model.gguf", parse: Self.parseGGUF)
        #expect(tally.loaded >= 50 && tally.errors >= 1000, "\(tally)")
    }

    /// Four tensors (F32, F16, BF16, I64) and metadata; the header is JSON, so its numbers are mutated too.
    static func smallSafetensors() -> [UInt8] {
        var header = #"{"__metadata__": {"format": "pt"}, "a": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "#
            + #""b": {"dtype": "F16", "shape": [4], "data_offsets": [24, 32]}, "c": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [32, 40]}, "#
            + #""d": {"dtype": "I64", "shape": [1], "data_offsets": [40, 48]}}"#
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        return bytes + Array(header.utf8) + (0..<48).map { UInt8($0 * 5 % 64) }
    }

    static func parseSafetensors(_ url: URL) throws {
        let file = try SafetensorsFile(url: url)
        for name in file.tensorNames { _ = try? file.floats(name) }
    }

    @Test func damagedSafetensorsFilesLoadOrThrow() throws {
        let seed = Self.smallSafetensors()
        let headerEnd = seed.count - 48
        // The header length made to match a header whose numbers changed length (the 48 data bytes follow it).
        func repair(_ bytes: [UInt8]) -> [UInt8] {
            guard bytes.count >= 8 + 48 else { return bytes }
            var fixed = bytes
            withUnsafeBytes(of: UInt64(bytes.count - 8 - 48).littleEndian) { fixed.replaceSubrange(0..<8, with: $0) }
            return fixed
        }
        var mutator = Mutator(seed: 2222, original: seed, binaryRegion: 0..<8, textRegion: 8..<headerEnd, repair: repair)
        let tally = try FuzzRun.run("safetensors", rounds: 1000, mutator: &mutator, fileName: "model.safetensors",
                                    parse: Self.parseSafetensors)
        #expect(tally.loaded >= 5 && tally.errors >= 500, "\(tally)")
    }
}
