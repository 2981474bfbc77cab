// The views of normalized tokens the three methods read, and the hashing of their n-grams.

extension ContaminationIndex {
    static let defHash = tokenHash("def".utf8)
    static let classHash = tokenHash("class".utf8)
    /// A defined function's or class's own name reads as this, so a renamed copy keeps its n-grams and body.
    static let definedName = tokenHash("<defined-name>".utf8)
    /// Any other name, in a shape.
    static let anyName = tokenHash("<name>".utf8)
    static let base: UInt64 = 0x100_0000_01b3_ff51

    /// Prose shorter than this many words is too common to be matched whole.
    static let shortestProse = 8

    /// The names the text's own `def`s and `class`es define: every mention of them (calls, examples, recursion) reads
    /// as one placeholder, so a renamed copy keeps its n-grams and its body.
    static func definedNames(_ tokens: [NormalizedToken]) -> Set<UInt64> {
        var names = Set<UInt64>()
        for i in 1..<max(1, tokens.count) where tokens[i].kind == .word && tokens[i - 1].kind == .word && !tokens[i - 1].inString
            && (tokens[i - 1].hash == defHash || tokens[i - 1].hash == classHash) {
            names.insert(tokens[i].hash)
        }
        return names
    }

    /// `defined`: the text's own defined names, when the caller has them already.
    static func words(_ text: NormalizedText, defined known: Set<UInt64>? = nil) -> [UInt64] {
        let tokens = text.tokens
        let defined = known ?? definedNames(tokens)
        var result: [UInt64] = []
        result.reserveCapacity(tokens.count)
        for i in tokens.indices where tokens[i].kind == .word { result.append(word(tokens, i, defined)) }
        return result
    }

    /// The words with, for each, whether it carries information: a word of three or more characters that is neither a
    /// number nor one of Python's keywords and common builtins. n-grams of mostly `0 1 2 a b c` are in every table of
    /// data and mean no copy.
    static func indexedWords(_ text: NormalizedText) -> Piece {
        let tokens = text.tokens
        let defined = definedNames(tokens)
        var result = Piece()
        result.hashes.reserveCapacity(tokens.count)
        for i in tokens.indices where tokens[i].kind == .word { result.append(word(tokens, i, defined), informative(text, i)) }
        return result
    }

    struct Piece: Equatable {
        var hashes: [UInt64] = []
        var informative: [Bool] = []
        var count: Int { hashes.count }
        var isEmpty: Bool { hashes.isEmpty }
        mutating func append(_ hash: UInt64, _ carries: Bool) { hashes.append(hash); informative.append(carries) }
    }

    @inline(__always) static func informative(_ text: NormalizedText, _ i: Int) -> Bool {
        let token = text.tokens[i]
        let first = text.bytes[Int(token.start)]
        return token.end - token.start >= 3 && !(first >= 0x30 && first <= 0x39) && !PythonNames.known.contains(token.hash)
    }

    /// A window of words is indexed only when this many of them carry information: `for i in range(len(l)): for j in
    /// range(i + 1, len(l))` is an idiom, not a copy. One keeps every false positive measured on the standard library and
    /// twelve PyPI packages away and finds more renamed copies than two or three.
    static let informativeWordsPerGram = 1

    /// Adds the n-grams of `piece` that carry enough information to the table.
    static func insertGrams(_ piece: Piece, n: Int, problem: Int32, into table: inout HashTable) {
        var carrying = 0
        for i in 0..<min(n, piece.count) where piece.informative[i] { carrying += 1 }
        forEachWindow(piece.hashes, n: n) { position, hash in
            if position > 0 {
                if piece.informative[position - 1] { carrying -= 1 }
                if piece.informative[position + n - 1] { carrying += 1 }
            }
            if carrying >= informativeWordsPerGram { table.insert(hash, problem) }
        }
    }

    /// A word as n-grams read it: a name the text defines, or one called in prose or a docstring (`>>> strlen('')`,
    /// "call solve(3)"), is a placeholder, so examples read the same whatever the function is called.
    @inline(__always) static func word(_ tokens: [NormalizedToken], _ i: Int, _ defined: Set<UInt64>) -> UInt64 {
        let token = tokens[i]
        if !defined.isEmpty && defined.contains(token.hash) { return definedName }
        if token.inString, i + 1 < tokens.count, tokens[i + 1].kind == .symbol, tokens[i + 1].hash == openParenthesis { return definedName }
        return token.hash
    }
    static let openParenthesis = symbolHashes[0x28]

    /// Runs of words inside strings (docstrings), each whole and, when it has examples, its description before them;
    /// for prose, the whole text. Read twice where the code defines names: as the code reads them (names masked) and as
    /// an instruction would (prose defines nothing).
    static func prosePieces(_ text: NormalizedText) -> [Piece] {
        let defined = definedNames(text.tokens)
        let pieces = prosePieces(text, defined: defined)
        return defined.isEmpty ? pieces : pieces + prosePieces(text, defined: []).filter { !pieces.contains($0) }
    }

    static func prosePieces(_ text: NormalizedText, defined: Set<UInt64>) -> [Piece] {
        let tokens = text.tokens
        var pieces: [Piece] = []
        var piece = Piece()
        var description: Piece?
        var arrows = 0
        func close() {
            if !piece.isEmpty { pieces.append(piece) }
            if let description, !description.isEmpty, description.count < piece.count { pieces.append(description) }
            piece = Piece(); description = nil; arrows = 0
        }
        for (i, token) in tokens.enumerated() {
            guard token.inString else { close(); continue }
            if token.kind == .symbol && token.hash == symbolHashes[0x3e] {
                arrows += 1
                if arrows == 3 && description == nil { description = piece }
                continue
            }
            arrows = 0
            guard token.kind == .word else { continue }
            if description == nil && (token.hash == exampleHash || token.hash == examplesHash) { description = piece }
            piece.append(word(tokens, i, defined), informative(text, i))
        }
        close()
        return pieces
    }
    static let exampleHash = tokenHash("example".utf8)
    static let examplesHash = tokenHash("examples".utf8)

    static func wordTokenList(_ text: NormalizedText) -> [NormalizedToken] { text.tokens.filter { $0.kind == .word } }

    /// Every token (words, symbols, quotes), defined names masked; position i is `text.tokens[i]`.
    static func codeHashes(_ text: NormalizedText, defined known: Set<UInt64>? = nil, definedElsewhere: Set<UInt64> = []) -> [UInt64] {
        let tokens = text.tokens
        let defined = (known ?? definedNames(tokens)).union(definedElsewhere)
        return tokens.map { $0.kind == .word && !defined.isEmpty && defined.contains($0.hash) ? definedName : $0.hash }
    }

    /// Code with every name other than Python's keywords and builtins abstracted, string contents dropped: 3-grams.
    static func shapeGrams(_ text: NormalizedText) -> [UInt64] {
        var shape: [UInt64] = []
        for token in text.tokens {
            switch token.kind {
            case .quote: shape.append(token.hash)
            case .symbol where !token.inString: shape.append(token.hash)
            case .word where !token.inString:
                let first = text.bytes[Int(token.start)]
                shape.append(PythonNames.known.contains(token.hash) || (first >= 0x30 && first <= 0x39) ? token.hash : anyName)
            default: break
            }
        }
        var grams: [UInt64] = []
        forEachWindow(shape, n: 3) { _, hash in grams.append(hash) }
        return grams
    }

    /// Calls `body` with each position and the hash of the n words from there.
    @inline(__always) static func forEachGram(_ words: [UInt64], n: Int, _ body: (Int, UInt64) -> Void) {
        forEachWindow(words, n: n, body)
    }

    /// A polynomial rolling hash over windows of n token hashes, finished with a mix.
    static func forEachWindow(_ hashes: [UInt64], n: Int, _ body: (Int, UInt64) -> Void) {
        guard hashes.count >= n, n > 0 else { return }
        var top: UInt64 = 1  // base^(n-1)
        for _ in 1..<n { top = top &* base }
        var rolling: UInt64 = 0
        hashes.withUnsafeBufferPointer { h in
            for i in 0..<n { rolling = rolling &* base &+ h[i] }
            body(0, mix(rolling))
            var i = 1
            while i + n <= h.count {
                rolling = (rolling &- h[i - 1] &* top) &* base &+ h[i + n - 1]
                body(i, mix(rolling))
                i += 1
            }
        }
    }

    static func rollingHash(_ window: ArraySlice<UInt64>) -> UInt64 {
        var rolling: UInt64 = 0
        for h in window { rolling = rolling &* base &+ h }
        return mix(rolling)
    }

    /// |A ∩ B| / |A ∪ B| of two sorted sets.
    static func jaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        var i = 0, j = 0, common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { common += 1; i += 1; j += 1 } else if a[i] < b[j] { i += 1 } else { j += 1 }
        }
        return Double(common) / Double(a.count + b.count - common)
    }
}

/// The text of the function whose `def` is token `index`: from its line to the `:` that ends the signature (found on
/// tokens, so brackets in strings and comments do not count), then every following line that is blank or indented
/// deeper. At most `limit` bytes: a function is compared, not a whole file.
enum FunctionSpan {
    static let limit = 1 << 16

    static func text(of text: NormalizedText, definition index: Int) -> String {
        let bytes = text.bytes, tokens = text.tokens
        let offset = Int(tokens[index].start)
        var start = offset
        while start > 0, bytes[start - 1] != 0x0a { start -= 1 }
        var indent = 0
        while start + indent < bytes.count, bytes[start + indent] == 0x20 || bytes[start + indent] == 0x09 { indent += 1 }
        // The signature's end: the first `:` outside brackets and strings, within a bounded number of tokens.
        var end = offset
        var depth = 0
        for token in tokens[(index + 1)..<min(tokens.count, index + 512)] where token.kind == .symbol && !token.inString {
            let b = bytes[Int(token.start)]
            if b == 0x28 || b == 0x5b || b == 0x7b { depth += 1 } else if b == 0x29 || b == 0x5d || b == 0x7d { depth -= 1 }
            if b == 0x3a && depth <= 0 { end = Int(token.end); break }
        }
        while end < bytes.count, bytes[end] != 0x0a { end += 1 }
        var kept = end
        let stop = min(bytes.count, start + limit)
        while end < stop {
            let lineStart = end + 1
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != 0x0a { lineEnd += 1 }
            var k = lineStart
            while k < lineEnd, bytes[k] == 0x20 || bytes[k] == 0x09 { k += 1 }
            if k < lineEnd {
                guard k - lineStart > indent else { break }
                kept = lineEnd
            }
            end = lineEnd
        }
        return String(decoding: bytes[start..<min(kept, stop)], as: UTF8.self)
    }
}

/// Python's keywords and the builtins common in code: they stay themselves in a shape.
enum PythonNames {
    static let known: Set<UInt64> = Set("""
        false none true and as assert async await break class continue def del elif else except finally for from global if
        import in is lambda nonlocal not or pass raise return try while with yield abs all any bool dict enumerate filter
        float int isinstance len list map max min object print range reversed round set sorted str sum tuple zip self
        append extend pop insert sort split join strip lower upper replace items keys values get
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { tokenHash($0.utf8) })
}

extension NormalizedText {
    /// The words n-grams are made of, the text's own defined names masked.
    public var words: [UInt64] { ContaminationIndex.words(self) }
    /// Every token, as substrings are matched.
    public var codeHashes: [UInt64] { ContaminationIndex.codeHashes(self) }
    /// The function whose `def` starts at this byte offset, as the entry-point method compares it.
    public func functionText(definedAt offset: Int) -> String? {
        tokens.firstIndex { Int($0.start) == offset }.map { FunctionSpan.text(of: self, definition: $0) }
    }
}
