// A checkpoint directory whose tokenizer.json is SentencePiece-style loads with the SentencePiece tokenizer.
import Engine
import Foundation
import Testing
import Tokenizers

struct SentencePieceCheckpointTests {
    @Test func checkpointWithSentencePieceTokenizerJSON() throws {
        let fm = FileManager.default
        let directory = fm.temporaryDirectory.appendingPathComponent("si-spm-checkpoint-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: directory) }
        try fm.copyItem(at: TinyLlama.directory.appendingPathComponent("hf"), to: directory)
        let fixture = TinyLlama.directory.deletingLastPathComponent().appendingPathComponent("spm/tokenizer.json")
        try fm.copyItem(at: fixture, to: directory.appendingPathComponent("tokenizer.json"))
        try Data(#"{"bos_token": "<s>", "eos_token": "</s>"}"#.utf8).write(to: directory.appendingPathComponent("tokenizer_config.json"))

        let loaded = try ModelLoader.load(file: directory, threads: 1)
        #expect(loaded.tokenizer is SentencePieceTokenizer)
        #expect(loaded.tokenizer.bosID == 1 && loaded.tokenizer.endIDs == [2])
        let generator = LlamaGenerator(loaded)
        #expect(try generator.promptIDs(.text("Hello world")) == [22557, 1526])
    }
}
