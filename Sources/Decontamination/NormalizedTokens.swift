// Code and text as normalized tokens, so that a copy reformatted, recommented or requoted reads the same:
// whitespace and comments dropped, words lowercased, every string quote one token, string prefixes dropped.

/// One token: what it is, a hash of its normalized bytes, and where it lies in the text (UTF-8 offsets).
public struct NormalizedToken: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case word, symbol, quote }
    public var kind: Kind
    public var hash: UInt64
    /// Inside a string literal (docstrings included): words there are text, not code.
    public var inString: Bool
    public var start: Int32
    public var end: Int32
}

/// How a text is read: code (comments dropped, strings known), plain prose, or Markdown whose fenced blocks are code.
public enum TextKind: String, Sendable, Codable { case code, text, markdown }

public struct NormalizedText: Sendable {
    public let bytes: [UInt8]
    public let tokens: [NormalizedToken]

    public init(_ text: String, as kind: TextKind) {
        // Offsets are 32-bit: a text past 2 GiB is read up to there.
        bytes = Array(text.utf8.prefix(Int(Int32.max)))
        var lexer = Lexer(bytes: bytes)
        switch kind {
        case .code: lexer.code(0..<bytes.count)
        case .text: lexer.prose(0..<bytes.count)
        case .markdown: lexer.markdown()
        }
        tokens = lexer.tokens
    }

    /// The text between two tokens (inclusive), as written.
    public func span(from first: NormalizedToken, to last: NormalizedToken) -> String {
        String(decoding: bytes[Int(first.start)..<Int(last.end)], as: UTF8.self)
    }
}

/// FNV-1a over normalized bytes, finished with a mix so that n-gram hashes built from it spread well.
@inline(__always) func tokenHash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    return mix(hash)
}

/// SplitMix64's finalizer.
@inline(__always) func mix(_ value: UInt64) -> UInt64 {
    var z = value &+ 0x9e37_79b9_7f4a_7c15
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
}

let quoteHash = tokenHash("\"".utf8)
let symbolHashes: [UInt64] = (0..<256).map { tokenHash(CollectionOfOne(UInt8($0))) }

struct Lexer {
    let bytes: [UInt8]
    var tokens: [NormalizedToken] = []

    init(bytes: [UInt8]) { self.bytes = bytes; tokens.reserveCapacity(bytes.count / 4) }

    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b == 0x5f || b >= 0x80
    }

    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0a || b == 0x09 || b == 0x0d || b == 0x0c || b == 0x0b }

    /// The length of a Unicode space (no-break, thin, zero-width, ideographic, byte-order mark ...) starting at `i`,
    /// or 0: scraped and generated text is full of them, and gluing two words into one would hide a copy.
    @inline(__always) func unicodeSpace(at i: Int, limit: Int) -> Int {
        let b = bytes[i]
        guard b >= 0xc2 else { return 0 }
        func next(_ k: Int) -> UInt8 { i + k < limit ? bytes[i + k] : 0 }
        switch b {
        case 0xc2: return next(1) == 0xa0 ? 2 : 0                                              // U+00A0
        case 0xe1: return next(1) == 0x9a && next(2) == 0x80 ? 3 : 0                         // U+1680
        case 0xe2:
            if next(1) == 0x80, (0x80...0x8b).contains(next(2)) || next(2) == 0xaf { return 3 }  // U+2000-200B, U+202F
            return next(1) == 0x81 && next(2) == 0x9f ? 3 : 0                                  // U+205F
        case 0xe3: return next(1) == 0x80 && next(2) == 0x80 ? 3 : 0                         // U+3000
        case 0xef: return next(1) == 0xbb && next(2) == 0xbf ? 3 : 0                         // U+FEFF
        default: return 0
        }
    }

    /// The length of the UTF-8 character starting at `i` (1 for a stray continuation byte).
    @inline(__always) func characterLength(at i: Int) -> Int {
        guard i < bytes.count else { return 1 }
        let b = bytes[i]
        return b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
    }

    /// A word starting at `i`: its end, after adding it as a token.
    mutating func word(at i: Int, limit: Int, inString: Bool) -> Int {
        var j = i
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        while j < limit, Self.isWordByte(bytes[j]), bytes[j] < 0x80 || unicodeSpace(at: j, limit: limit) == 0 {
            var b = bytes[j]
            if b >= 0x41 && b <= 0x5a { b |= 0x20 }
            hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3
            j += 1
        }
        tokens.append(NormalizedToken(kind: .word, hash: mix(hash), inString: inString, start: Int32(i), end: Int32(j)))
        return j
    }

    mutating func symbol(at i: Int, inString: Bool) {
        tokens.append(NormalizedToken(kind: .symbol, hash: symbolHashes[Int(bytes[i])], inString: inString,
                                      start: Int32(i), end: Int32(i + 1)))
    }

    /// Prose: words and symbols, nothing dropped but whitespace and quotes.
    mutating func prose(_ range: Range<Int>) {
        var i = range.lowerBound
        while i < range.upperBound {
            let b = bytes[i]
            if b >= 0x80 { let space = unicodeSpace(at: i, limit: range.upperBound); if space > 0 { i += space; continue } }
            if Self.isWordByte(b) { i = word(at: i, limit: range.upperBound, inString: true); continue }
            if !Self.isSpace(b) && b != 0x22 && b != 0x27 && b != 0x60 { symbol(at: i, inString: true) }
            i += 1
        }
    }

    /// Python-like code: `#` comments dropped, string literals read as one quote, their contents, one quote.
    mutating func code(_ range: Range<Int>) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let b = bytes[i]
            if b == 0x23 {  // # comment to the end of the line (\n, or \r alone)
                while i < end, bytes[i] != 0x0a && bytes[i] != 0x0d { i += 1 }
                continue
            }
            if b >= 0x80 { let space = unicodeSpace(at: i, limit: end); if space > 0 { i += space; continue } }
            if b == 0x22 || b == 0x27 { i = string(at: i, limit: end); continue }
            if Self.isWordByte(b) {
                let next = word(at: i, limit: end, inString: false)
                // r"...", b'...', f"..." read as the plain string.
                if next < end, bytes[next] == 0x22 || bytes[next] == 0x27, next - i <= 2,
                   bytes[i..<next].allSatisfy({ "rbfuRBFU".utf8.contains($0) }) {
                    tokens.removeLast()
                }
                i = next
                continue
            }
            if !Self.isSpace(b) { symbol(at: i, inString: false) }
            i += 1
        }
    }

    /// A string literal opening at `i` (single, double or triple quoted): its end.
    mutating func string(at i: Int, limit: Int) -> Int {
        let q = bytes[i]
        let triple = i + 2 < limit && bytes[i + 1] == q && bytes[i + 2] == q
        let open = triple ? 3 : 1
        tokens.append(NormalizedToken(kind: .quote, hash: quoteHash, inString: true, start: Int32(i), end: Int32(i + open)))
        var j = i + open
        while j < limit {
            let b = bytes[j]
            if b == 0x5c { j += 1 + characterLength(at: j + 1); continue }  // escape
            if b == q && (!triple || (j + 2 < limit && bytes[j + 1] == q && bytes[j + 2] == q)) {
                let close = triple ? 3 : 1
                tokens.append(NormalizedToken(kind: .quote, hash: quoteHash, inString: true, start: Int32(j), end: Int32(j + close)))
                return j + close
            }
            if b == 0x0a && !triple { return j }  // an unterminated one-line string ends at the line
            if b >= 0x80 { let space = unicodeSpace(at: j, limit: limit); if space > 0 { j += space; continue } }
            if Self.isWordByte(b) { j = word(at: j, limit: limit, inString: true); continue }
            // Quotes inside a string are left out as prose leaves them out, so a docstring reads as its text does.
            if !Self.isSpace(b) && b != 0x22 && b != 0x27 && b != 0x60 { symbol(at: j, inString: true) }
            j += 1
        }
        return min(j, limit)
    }

    /// Markdown: fenced blocks (``` or ~~~, closed by a fence of the same character at least as long) are code, the
    /// rest prose.
    mutating func markdown() {
        var lineStart = 0
        var proseStart = 0
        var fenceStart: Int?
        var fence: (character: UInt8, length: Int) = (0, 0)
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0a { lineEnd += 1 }
            var k = lineStart
            while k < lineEnd, bytes[k] == 0x20 { k += 1 }
            var run = k
            while run < lineEnd, bytes[run] == bytes[k], bytes[k] == 0x60 || bytes[k] == 0x7e { run += 1 }
            if run - k >= 3 {
                if let start = fenceStart {
                    if bytes[k] == fence.character && run - k >= fence.length {
                        code(start..<lineStart)
                        fenceStart = nil
                        proseStart = min(lineEnd + 1, bytes.count)
                    }
                } else {
                    prose(proseStart..<lineStart)
                    fenceStart = min(lineEnd + 1, bytes.count)  // the info string (```python) is not code
                    fence = (bytes[k], run - k)
                }
            }
            lineStart = lineEnd + 1
        }
        if let start = fenceStart { code(start..<bytes.count) } else { prose(proseStart..<bytes.count) }
    }
}
