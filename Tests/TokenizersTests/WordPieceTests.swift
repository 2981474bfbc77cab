// WordPiece and BERT normalization: tiny vocabularies by hand, then golden ids from Hugging Face `tokenizers`.
import Foundation
import ModelFiles
import Testing
import Tokenizers

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/minilm")

private func tinyTokenizer(lowercase: Bool = true) throws -> WordPieceTokenizer {
    let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "a", "##ff", "runn", "##ing",
                  "ca", "##fe", ",", "!", "你", "好", "hello", "Hello"]
    let model = try WordPieceModel(tokens: Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) }),
                                   maxInputCharactersPerWord: 10)
    return try WordPieceTokenizer(model: model, normalizer: BertNormalizer(lowercase: lowercase),
                                  addedTokens: ["[CLS]": 2, "[SEP]": 3, "[MASK]": 4])
}

@Test func greedyLongestMatchWithContinuationPieces() throws {
    let tokenizer = try tinyTokenizer()
    #expect(tokenizer.encode("unaffable") == [2, 5, 6, 7, 3])
    #expect(tokenizer.encode("affable") == [2, 8, 9, 7, 3], "the longest first piece is 'a', then '##ff'")
    #expect(tokenizer.encode("unaffablex") == [2, 1, 3], "one unmatchable piece makes the whole word [UNK]")
    #expect(tokenizer.encode("running, unaffable!") == [2, 10, 11, 14, 5, 6, 7, 15, 3])
}

@Test func accentsAreStrippedAndCaseLoweredWhenLowercasing() throws {
    #expect(try tinyTokenizer().encode("CAFÉ") == [2, 12, 13, 3])
    #expect(try tinyTokenizer(lowercase: false).encode("Hello") == [2, 19, 3])
    #expect(try tinyTokenizer(lowercase: false).encode("café") == [2, 1, 3], "accents stay without lowercasing")
}

@Test func chineseCharactersBecomeWordsAndControlCharactersVanish() throws {
    let tokenizer = try tinyTokenizer()
    #expect(tokenizer.encode("你好") == [2, 16, 17, 3])
    #expect(tokenizer.encode("hel\u{0}lo\u{7}") == [2, 18, 3])
}

@Test func wordsLongerThanTheLimitAreUnknown() throws {
    #expect(try tinyTokenizer().encode("unaffableunaffable") == [2, 1, 3])
}

@Test func emptyAndBlankTextGiveOnlyTheSpecialTokens() throws {
    let tokenizer = try tinyTokenizer()
    for text in ["", "   ", "\t\n\r", "\u{0}\u{1}\u{7f}", "\u{200b}"] {
        #expect(tokenizer.encode(text) == [2, 3], "\(text.debugDescription)")
    }
}

@Test func specialTokensInTheRawTextKeepTheirIDs() throws {
    #expect(try tinyTokenizer().encode("a[MASK]a") == [2, 8, 4, 8, 3])
}

@Test func truncationKeepsTheSpecialTokens() throws {
    let tokenizer = try tinyTokenizer()
    #expect(tokenizer.encode("a a a a a", maxLength: 4) == [2, 8, 8, 3])
    #expect(tokenizer.encode("a a a a a", maxLength: 2) == [2, 3])
}

// MARK: - golden ids from the real all-MiniLM-L6-v2 tokenizer

private struct TokenizerCases: Decodable {
    struct Case: Decodable { var text: String; var ids: [Int] }
    var cases: [Case]
    var truncated_256: [Case]?
}

private func minilmTokenizer() throws -> WordPieceTokenizer {
    try WordPieceTokenizer.load(directory: ModelCache.directory(of: ModelCache.model(named: "minilm")!))
}

@Test(arguments: ["tokenizer_cases.json", "tokenizer_extra_cases.json"])
func idsMatchHuggingFaceTokenizersOnHardStrings(fixtureName: String) throws {
    let data = try Data(contentsOf: fixtures.appendingPathComponent(fixtureName))
    let fixture = try JSONDecoder().decode(TokenizerCases.self, from: data)
    let tokenizer = try minilmTokenizer()
    #expect(fixture.cases.count > 20)
    for item in fixture.cases {
        #expect(tokenizer.encode(item.text) == item.ids, "\(item.text.debugDescription)")
    }
    for item in fixture.truncated_256 ?? [] {
        #expect(tokenizer.encode(item.text, maxLength: 256) == item.ids, "\(item.text.prefix(80).debugDescription)")
    }
}

/// Long text is read in pieces that end at whitespace: the ids are those of its words one after another, accents,
/// CJK, punctuation and a final sigma across every piece boundary included, and a full sequence stops the reading.
@Test func longTextReadsAsTheSumOfItsWords() throws {
    let tokenizer = try minilmTokenizer()
    let unit = "Héllo Wörld, 中文 ΟΔΟΣ don't-stop\u{0301} "
    let one = Array(tokenizer.encode(unit).dropFirst().dropLast())
    let count = 3 * WordPieceTokenizer.pieceScalars / unit.unicodeScalars.count
    let long = String(repeating: unit, count: count)
    let ids = tokenizer.encode(long)
    #expect(ids == [tokenizer.classifierID] + Array(Array(repeating: one, count: count).joined()) + [tokenizer.separatorID])
    #expect(tokenizer.encode(long, maxLength: 256) == Array(ids.prefix(255)) + [tokenizer.separatorID])
    // A form feed is a control the normalizer deletes, not a word boundary: a piece never ends there.
    let words = String(repeating: "a ", count: WordPieceTokenizer.pieceScalars / 2)
    #expect(tokenizer.encode(words + "foo\u{0C}bar") == tokenizer.encode(words + "foobar"))
}

@Test func vocabTextAndTokenizerJSONAgree() throws {
    let directory = ModelCache.directory(of: ModelCache.model(named: "minilm")!)
    let fromJSON = try WordPieceTokenizer.load(tokenizerJSON: directory.appendingPathComponent("tokenizer.json"))
    let fromVocab = try WordPieceTokenizer.load(vocabTXT: directory.appendingPathComponent("vocab.txt"), lowercase: true)
    let text = "def parse_header(self, data: bytes) -> dict:  # Ünïcödé 你好 [SEP]"
    #expect(fromJSON.encode(text) == fromVocab.encode(text))
    #expect(fromJSON.model.vocabularySize == 30522)
}

@Test func aTokenizerFileThatIsNotWordPieceIsRejectedByName() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wordpiece-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("tokenizer.json")
    try Data(#"{"model": {"type": "BPE", "vocab": {}}}"#.utf8).write(to: file)
    #expect(throws: TokenizerError.notWordPiece(file: file.path, type: "BPE")) {
        try WordPieceTokenizer.load(directory: directory)
    }
    #expect(throws: TokenizerError.missingFile(file: directory.appendingPathComponent("none/tokenizer.json").path + " (or vocab.txt)")) {
        try WordPieceTokenizer.load(directory: directory.appendingPathComponent("none"))
    }
}
