// Splits text into the pieces BPE merges within. The three regexes of the supported families are
// matched by hand (same alternation order and backtracking), which is exact and fast:
//
//   gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:  as llama3 with \p{N} (one digit a piece)
//   smollm: each digit on its own first (tokenizers' Digits(individual)), then gpt2 (also StarCoder's and Refact's)
//   deepseek-coder: five patterns in turn, each splitting what the last left (a match and the text between
//           matches both become pieces): [\r\n], \s?\p{L}+, \s?\p{P}+, [一-龥ࠀ-一가-퟿]+, \p{N}

public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2
    case smollm
    case llama3
    case qwen2
    case deepseekCoder = "deepseek-coder"

    /// The pattern for a GGUF `tokenizer.ggml.pre` value (llama.cpp's names).
    public init?(ggufName: String) {
        switch ggufName {
        case "gpt2", "gpt-2", "default", "mpt", "olmo", "phi-2": self = .gpt2
        // llama.cpp isolates every digit first for these, as their tokenizer.json's Digits(individual) does.
        case "smollm", "starcoder", "refact", "codeshell", "command-r": self = .smollm
        case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe": self = .llama3
        case "qwen2", "deepseek-r1-qwen", "stablelm2": self = .qwen2
        case "deepseek-coder": self = .deepseekCoder
        default: return nil
        }
    }

    /// Byte ranges (UTF-8 offsets) of the pieces of `text`.
    public func split(_ text: String) -> [Substring] {
        let scalars = Array(text.unicodeScalars)
        var pieces: [Range<Int>] = []
        switch self {
        case .gpt2: Self.splitGPT2(scalars, 0..<scalars.count, into: &pieces)
        case .smollm:
            var start = 0
            for i in 0..<scalars.count where Self.isNumber(scalars[i]) {
                if start < i { Self.splitGPT2(scalars, start..<i, into: &pieces) }
                pieces.append(i..<i + 1)
                start = i + 1
            }
            if start < scalars.count { Self.splitGPT2(scalars, start..<scalars.count, into: &pieces) }
        case .llama3: Self.splitLlama3(scalars, maxDigits: 3, into: &pieces)
        case .qwen2: Self.splitLlama3(scalars, maxDigits: 1, into: &pieces)
        case .deepseekCoder: Self.splitDeepSeekCoder(scalars, into: &pieces)
        }
        // Map scalar offsets back to String indices.
        var result: [Substring] = []
        result.reserveCapacity(pieces.count)
        let view = text.unicodeScalars
        var index = view.startIndex
        var position = 0
        for piece in pieces {
            while position < piece.lowerBound { index = view.index(after: index); position += 1 }
            var end = index
            for _ in piece { end = view.index(after: end) }
            result.append(text[index..<end])
            index = end
            position = piece.upperBound
        }
        return result
    }

    // MARK: - Character classes

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return (s.value | 0x20) >= 0x61 && (s.value | 0x20) <= 0x7a }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value >= 0x30 && s.value <= 0x39 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s.value == 0x20 || (s.value >= 0x09 && s.value <= 0x0d) }
        return s.properties.isWhitespace
    }

    static func isOther(_ s: Unicode.Scalar) -> Bool { !isSpace(s) && !isLetter(s) && !isNumber(s) }

    static func isNewline(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }

    // MARK: - Matchers

    /// Length of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
    static func contraction(_ s: [Unicode.Scalar], _ i: Int, end: Int, caseInsensitive: Bool) -> Int {
        guard s[i] == "'", i + 1 < end else { return 0 }
        func lower(_ k: Int) -> Unicode.Scalar? {
            guard k < end else { return nil }
            let c = s[k]
            if caseInsensitive, c.value >= 0x41, c.value <= 0x5a { return Unicode.Scalar(c.value + 0x20) }
            return c
        }
        switch lower(i + 1) {
        case "s", "t", "m", "d": return 2
        case "r": return lower(i + 2) == "e" ? 3 : 0
        case "v": return lower(i + 2) == "e" ? 3 : 0
        case "l": return lower(i + 2) == "l" ? 3 : 0
        default: return 0
        }
    }

    /// Index after the run of scalars from i satisfying `test`.
    static func run(_ s: [Unicode.Scalar], from i: Int, end: Int, _ test: (Unicode.Scalar) -> Bool) -> Int {
        var j = i
        while j < end, test(s[j]) { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at i (s[i] is whitespace): the run, minus its last scalar when a non-space follows.
    static func whitespace(_ s: [Unicode.Scalar], _ i: Int, end: Int) -> Int {
        let e = run(s, from: i, end: end, isSpace)
        if e < end, e - i > 1 { return e - 1 }
        return e
    }

    static func splitGPT2(_ s: [Unicode.Scalar], _ range: Range<Int>, into pieces: inout [Range<Int>]) {
        let end = range.upperBound
        var i = range.lowerBound
        while i < end {
            var j = i + contraction(s, i, end: end, caseInsensitive: false)
            if j == i {
                let k = s[i] == " " && i + 1 < end ? i + 1 : i
                if isLetter(s[k]) {
                    j = run(s, from: k, end: end, isLetter)
                } else if isNumber(s[k]) {
                    j = run(s, from: k, end: end, isNumber)
                } else if isOther(s[k]) {
                    j = run(s, from: k, end: end, isOther)
                } else {
                    j = whitespace(s, i, end: end)
                }
            }
            pieces.append(i..<j)
            i = j
        }
    }

    /// Splits each piece at the matches of `match` (the end of a match starting at i, or nil): matches and the text
    /// between them become pieces, as llama.cpp applies one of a sequence of patterns.
    static func isolate(_ pieces: [Range<Int>], _ match: (Int, Int) -> Int?) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for piece in pieces {
            var gap = piece.lowerBound, i = piece.lowerBound
            while i < piece.upperBound {
                guard let j = match(i, piece.upperBound), j > i else { i += 1; continue }
                if gap < i { out.append(gap..<i) }
                out.append(i..<j)
                i = j
                gap = j
            }
            if gap < piece.upperBound { out.append(gap..<piece.upperBound) }
        }
        return out
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func splitDeepSeekCoder(_ s: [Unicode.Scalar], into pieces: inout [Range<Int>]) {
        // \s?X+ at i: an optional whitespace scalar, then a run of X.
        func spaced(_ test: @escaping (Unicode.Scalar) -> Bool) -> (Int, Int) -> Int? {
            { i, end in
                let k = isSpace(s[i]) && i + 1 < end && test(s[i + 1]) ? i + 1 : i
                return test(s[k]) ? run(s, from: k, end: end, test) : nil
            }
        }
        let cjk: (Unicode.Scalar) -> Bool = { (0x4E00...0x9FA5).contains($0.value) || (0x0800...0x4E00).contains($0.value) || (0xAC00...0xD7FF).contains($0.value) }
        var current = s.isEmpty ? [] : [0..<s.count]
        current = isolate(current) { i, _ in isNewline(s[i]) ? i + 1 : nil }
        current = isolate(current, spaced(isLetter))
        current = isolate(current, spaced(isPunctuation))
        current = isolate(current) { i, end in cjk(s[i]) ? run(s, from: i, end: end, cjk) : nil }
        current = isolate(current) { i, _ in isNumber(s[i]) ? i + 1 : nil }
        pieces += current
    }

    static func splitLlama3(_ s: [Unicode.Scalar], maxDigits: Int, into pieces: inout [Range<Int>]) {
        let end = s.count
        var i = 0
        while i < end {
            var j = i + contraction(s, i, end: end, caseInsensitive: true)
            if j == i {
                let c = s[i]
                if isLetter(c) {
                    j = run(s, from: i, end: end, isLetter)
                } else if !isNewline(c), !isNumber(c), i + 1 < end, isLetter(s[i + 1]) {
                    // [^\r\n\p{L}\p{N}]?\p{L}+ with a leading space or punctuation.
                    j = run(s, from: i + 1, end: end, isLetter)
                } else if isNumber(c) {
                    j = i + 1
                    while j < end, j - i < maxDigits, isNumber(s[j]) { j += 1 }
                } else if isOther(c) || (c == " " && i + 1 < end && isOther(s[i + 1])) {
                    let k = c == " " ? i + 1 : i
                    j = run(s, from: k, end: end, isOther)
                    j = run(s, from: j, end: end, isNewline)
                } else {
                    // c is whitespace: \s*[\r\n]+ ends after the last newline in the run.
                    let e = run(s, from: i, end: end, isSpace)
                    if let last = (i..<e).last(where: { isNewline(s[$0]) }) {
                        j = last + 1
                    } else {
                        j = whitespace(s, i, end: end)
                    }
                }
            }
            pieces.append(i..<j)
            i = j
        }
    }
}
