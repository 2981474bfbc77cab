// The interface the engine uses: text to ids and back.

public protocol Tokenizer: Sendable {
    var vocabularySize: Int { get }
    /// Beginning-of-sequence id, when the model has one.
    var bosID: Int? { get }
    /// End-of-sequence ids (the model's eos, plus end-of-turn tokens such as `<|im_end|>`).
    var endIDs: Set<Int> { get }
    /// Whether `encode(_:addSpecialTokens: true)` prepends the BOS token.
    var addsBOS: Bool { get }

    /// Ids of `text`; special tokens written in the text (`<|im_start|>`) become their ids.
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int]
    /// The bytes a token stands for (UTF-8 may be split across tokens); special tokens give their text.
    func bytes(of id: Int) -> [UInt8]
    /// The bytes of `id` as the first token of a text: SentencePiece drops the space its encoder prepended.
    func leadingBytes(of id: Int) -> [UInt8]
    func isSpecial(_ id: Int) -> Bool
    /// The vocabulary entry as stored (for display).
    func token(_ id: Int) -> String?
    func id(of token: String) -> Int?
    /// What kind of tokenizer this is, for display (`byte-level BPE, 49152 tokens, pre-tokenizer smollm`).
    var summary: String { get }
}

extension Tokenizer {
    public var summary: String { "\(vocabularySize) tokens" }
    public func leadingBytes(of id: Int) -> [UInt8] { bytes(of: id) }

    /// Ids of `text` without BOS/EOS.
    public func encode(_ text: String) -> [Int] { encode(text, addSpecialTokens: false) }

    /// Text of `ids`; invalid UTF-8 becomes U+FFFD.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        var started = false
        for id in ids where !(skipSpecialTokens && isSpecial(id)) {
            bytes += started ? self.bytes(of: id) : leadingBytes(of: id)
            started = started || !self.bytes(of: id).isEmpty
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Decodes tokens one at a time, holding back the bytes of a character split across tokens.
public struct StreamingDecoder: Sendable {
    private var pending: [UInt8] = []
    private var atStart = true
    public let skipSpecialTokens: Bool

    public init(skipSpecialTokens: Bool = true) { self.skipSpecialTokens = skipSpecialTokens }

    /// The text that `id` completes (possibly empty).
    public mutating func append(_ id: Int, from tokenizer: some Tokenizer) -> String {
        if skipSpecialTokens && tokenizer.isSpecial(id) { return "" }
        pending += atStart ? tokenizer.leadingBytes(of: id) : tokenizer.bytes(of: id)
        atStart = atStart && tokenizer.bytes(of: id).isEmpty
        let complete = Self.completePrefixLength(pending)
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Whatever is still held back, flushed as replacement characters.
    public mutating func finish() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of `bytes` minus an unfinished UTF-8 sequence at its end (one that could still complete).
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Look back at most 3 bytes for the lead byte of the last sequence.
        var i = n - 1
        while i >= 0, i >= n - 4 {
            let b = bytes[i]
            if b & 0xc0 != 0x80 {
                let length = b < 0x80 ? 1 : b >> 5 == 0x6 ? 2 : b >> 4 == 0xe ? 3 : b >> 3 == 0x1e ? 4 : 1
                return n - i < length ? i : n
            }
            i -= 1
        }
        return n
    }
}
