// Fuzzing the tokenizer.json loaders: byte-level BPE, SentencePiece-style BPE and WordPiece files of a
// dozen tokens, damaged in their text and their numbers; a file that loads must also encode and decode.
import Foundation
import Testing
import Tokenizers

struct TokenizerJSONFuzzTests {
    static let byteLevelBPE = #"""
    {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "ab": 4, "abc": 5, "Ġa": 6},
               "merges": ["a b", ["ab", "c"], "Ġ a"]},
     "added_tokens": [{"id": 7, "content": "<|endoftext|>", "special": true}, {"id": 8, "content": "<|im_end|>", "special": true}],
     "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true},
                       {"type": "ByteLevel", "add_prefix_space": false}]}}
    """#

    static let sentencePieceBPE = #"""
    {"model": {"type": "BPE", "fuse_unk": true, "unk_token": "<unk>",
               "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "▁": 3, "a": 4, "b": 5, "▁a": 6, "ab": 7},
               "merges": ["▁ a", "a b"]},
     "added_tokens": [{"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}],
     "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                    {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
     "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}]},
     "decoder": {"type": "Sequence", "decoders": [{"type": "Strip", "content": " ", "start": 1, "stop": 0}]}}
    """#

    static let wordPiece = #"""
    {"model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
               "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4, "a": 5, "##b": 6, "hello": 7, ",": 8, "##ll": 9}},
     "added_tokens": [{"id": 0, "content": "[PAD]"}, {"id": 2, "content": "[CLS]"}, {"id": 3, "content": "[SEP]"}, {"id": 4, "content": "[MASK]"}],
     "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "lowercase": true},
     "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                        {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}]},
     "padding": {"pad_token": "[PAD]"}}
    """#

    static let sample = "abc ab Ab<|endoftext|> 12 é\u{0}[MASK] hello, world<s>"

    static func parseBPE(_ url: URL) throws {
        let tokenizer = try TokenizerLoader.load(tokenizerJSON: url)
        _ = tokenizer.decode(tokenizer.encode(sample, addSpecialTokens: true))
    }

    static func parseWordPiece(_ url: URL) throws {
        _ = try WordPieceTokenizer.load(tokenizerJSON: url).encode(sample, maxLength: 8)
    }

    @Test(arguments: [("bpe", byteLevelBPE), ("sentencepiece", sentencePieceBPE), ("wordpiece", wordPiece)])
    func damagedTokenizerFilesLoadOrThrow(kind: String, json: String) throws {
        let seed = Array(json.utf8)
        let parse = kind == "wordpiece" ? Self.parseWordPiece : Self.parseBPE
        var mutator = Mutator(seed: UInt64(seed.count), original: seed, textRegion: 0..<seed.count)
        let tally = try FuzzRun.run("tokenizer-\(kind)", rounds: 700, mutator: &mutator, fileName: "tokenizer.json", parse: parse)
        #expect(tally.loaded >= 20 && tally.errors >= 350, "\(tally)")
    }

    @Test func theUndamagedFilesLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-seeds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tokenizer.json")
        try Data(Self.byteLevelBPE.utf8).write(to: url)
        #expect(try TokenizerLoader.load(tokenizerJSON: url).encode("abc ab") == [5, 3, 4])
        try Data(Self.sentencePieceBPE.utf8).write(to: url)
        #expect(try TokenizerLoader.load(tokenizerJSON: url).encode("ab A", addSpecialTokens: true) == [1, 6, 5, 3, 0])
        try Data(Self.wordPiece.utf8).write(to: url)
        #expect(try WordPieceTokenizer.load(tokenizerJSON: url).encode("Hello, ab") == [2, 7, 8, 5, 6, 3])
    }
}
