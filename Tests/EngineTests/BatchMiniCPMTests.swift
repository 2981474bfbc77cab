// The batch engine on the tiny MiniCPM (Q8_0 GGUF): its scales are applied (the reference's next tokens
// come out), and a sequence decodes the same alone and in a batch.
import Engine
import Foundation
import Testing
import Tokenizers

struct BatchMiniCPMTests {
    @Test func nextTokensFollowTheReferenceAndTheBatchChangesNothing() throws {
        let expected = try TinyMiniCPM.expected("small")
        let directory = try TinyMiniCPM.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("q8_0.gguf")
        try TinyMiniCPM.writeGGUF("small", to: url) { _, _, _ in .q8_0 }
        let model = try TinyMiniCPM.ggufModel(url)
        let tokenizer = IDTokenizer(vocabularySize: model.config.vocabularySize)
        let engine = BatchEngine(model: model, tokenizer: tokenizer, options: BatchOptions(maxSequences: 8, blockTokens: 4))
        // Every prefix of the reference tokens asks for one greedy token: the reference's argmax, where
        // its best two logits are not a near-tie.
        let prefixes = (2...expected.tokens.count).map { Array(expected.tokens.prefix($0)) }
        let requests = prefixes.map { BatchRequest(promptIDs: $0, settings: SamplingSettings(maxTokens: 6)) }
        let batched = try engine.run(requests).map { try $0.get().ids }
        var checked = 0
        for (i, prefix) in prefixes.enumerated() {
            let reference = expected.logits[prefix.count - 1]
            let sorted = reference.sorted(by: >)
            if sorted[0] - sorted[1] > 0.05 * (sorted[0] - sorted[sorted.count - 1]) {
                #expect(batched[i].first == reference.indices.max { reference[$0] < reference[$1] }, "prefix of \(prefix.count)")
                checked += 1
            }
        }
        #expect(checked >= prefixes.count / 2)
        let alone = try requests.map { request in
            try BatchEngine(model: model, tokenizer: tokenizer, options: BatchOptions(maxSequences: 1, prefixCacheBlocks: 0))
                .run([request])[0].get().ids
        }
        #expect(batched == alone)
    }
}

/// Token ids without text: a model with no vocabulary of its own.
struct IDTokenizer: Tokenizer {
    let vocabularySize: Int
    var bosID: Int? { nil }
    var endIDs: Set<Int> { [] }
    var addsBOS: Bool { false }
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int] { [] }
    func bytes(of id: Int) -> [UInt8] { Array("<\(id)>".utf8) }
    func isSpecial(_ id: Int) -> Bool { false }
    func token(_ id: Int) -> String? { "<\(id)>" }
    func id(of token: String) -> Int? { nil }
}
