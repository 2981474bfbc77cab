// A GGUF model whose vocabulary is `tokenizer.ggml.model = llama` loads with the SentencePiece tokenizer:
// the tiny Llama fixture rewritten with the pieces of a tiny SentencePiece model added to its metadata.
import Engine
import Foundation
import ModelFiles
import Testing
import Tokenizers

struct SentencePieceGGUFModelTests {
    @Test func ggufWithLlamaVocabularyLoadsTheSentencePieceTokenizer() throws {
        let spm = try SentencePieceTokenizer(modelFile: TinyLlama.directory.deletingLastPathComponent()
            .appendingPathComponent("spm/tiny-bpe.model"))
        let source = try GGUFFile(url: TinyLlama.directory.appendingPathComponent("tiny-F32.gguf"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("si-spm-model-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFRewriter.write(source, adding: [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(spm.pieces.map { .string($0.text) })),
            ("tokenizer.ggml.scores", .array(spm.pieces.map { .float32($0.score) })),
            ("tokenizer.ggml.token_type", .array(spm.pieces.map { .int32(Int32($0.type.rawValue)) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ], to: url)

        let loaded = try ModelLoader.load(file: url, threads: 1)
        #expect(loaded.tokenizer is SentencePieceTokenizer)
        #expect(loaded.tokenizer.summary.hasPrefix("SentencePiece BPE (piece scores, byte fallback)"))
        let ids = try LlamaGenerator(loaded).promptIDs(.text("write a stack"))
        #expect(ids == [1] + spm.encode("write a stack", addSpecialTokens: false))
    }
}

/// Copies a GGUF file through `GGUFWriter` with extra metadata set (replacing keys of the same name).
enum GGUFRewriter {
    static func write(_ file: GGUFFile, adding extra: [(String, GGUFValue)], to url: URL) throws {
        var writer = GGUFWriter(alignment: file.alignment)
        for key in file.keys { writer.set(key, file.metadata[key]!) }
        for (key, value) in extra { writer.set(key, value) }
        let bytes = try Data(contentsOf: file.url)
        for tensor in file.tensors {
            let type = try #require(tensor.type)
            let count = tensor.elementCount / type.blockSize * type.blockBytes
            try writer.addTensor(tensor.name, shape: tensor.shape, type: type,
                                 bytes: Array(bytes[tensor.offset..<tensor.offset + count]))
        }
        try writer.write(to: url)
    }
}
