// Encoding for SentencePieceTokenizer: split off tokens written in the text, map spaces to "▁" and
// prepend one where the source says, then merge each word's characters best first.
extension SentencePieceTokenizer {
    // MARK: - Encoding

    /// With `addSpecialTokens`, BOS (and EOS where the model asks) are added and control tokens written in
    /// the text become their ids; without it the text is plain text, as SentencePiece encodes it.
    public func encode(_ text: String, addSpecialTokens: Bool) -> [Int] {
        var out: [Int] = []
        if addSpecialTokens, addsBOS, let bosID { out.append(bosID) }
        var bytes = Array(text.utf8)
        if options.removeExtraWhitespaces { bytes = Self.removingExtraSpaces(bytes) }
        // SentencePiece's single prefix: it goes to the first text, passing over control tokens that open it.
        var textStartPending = options.spacePrefix == .textStart && !bytes.isEmpty
        for segment in splitOnTextTokens(bytes, parseSpecial: addSpecialTokens) {
            switch segment {
            case let .token(id):
                // Before a user-defined piece SentencePiece's prefix stands alone, as its own "▁".
                if textStartPending, pieces[id].type != .control {
                    out += encodeWord(Array(Self.metaspace.utf8)[...])
                    textStartPending = false
                }
                out.append(id)
            case let .text(range):
                encodeSegment(bytes[range], prefixed: prefixes(bytes[range], atTextStart: range.lowerBound == 0, textStartPending),
                              into: &out)
                textStartPending = false
            }
        }
        if addSpecialTokens, addsEOS, let eosID { out.append(eosID) }
        return out
    }

    private func prefixes(_ raw: ArraySlice<UInt8>, atTextStart: Bool, _ textStartPending: Bool) -> Bool {
        // tokenizers checks after spaces became "▁", so a literal "▁" counts as a space.
        let startsWithSpace = raw.first == UInt8(ascii: " ") || raw.starts(with: Self.metaspace.utf8)
        switch options.spacePrefix {
        case .none: return false
        case .textStart: return textStartPending
        case .everySegment: return true
        case .firstSegmentUnlessSpace: return atTextStart && !startsWithSpace
        case .everySegmentUnlessSpace: return !startsWithSpace
        }
    }

    private func encodeSegment(_ raw: ArraySlice<UInt8>, prefixed: Bool, into out: inout [Int]) {
        let metaspace = Array(Self.metaspace.utf8)
        var normalized: [UInt8] = prefixed ? metaspace : []
        normalized.reserveCapacity(raw.count + 8)
        for byte in raw {
            if byte == UInt8(ascii: " ") { normalized += metaspace } else { normalized.append(byte) }
        }
        guard options.splitAtSpaces else {
            out += encodeWord(normalized[...])
            return
        }
        // Each "▁" starts a new word (tokenizers' MergedWithNext).
        var start = 0, i = 0
        while i < normalized.count {
            if i > start, normalized[i] == metaspace[0], normalized[i...].starts(with: metaspace) {
                out += encodeWord(normalized[start..<i])
                start = i
            }
            i += 1
        }
        if start < normalized.count { out += encodeWord(normalized[start...]) }
    }

    private static func removingExtraSpaces(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if byte == UInt8(ascii: " ") && (out.isEmpty || out.last == UInt8(ascii: " ")) { continue }
            out.append(byte)
        }
        if out.last == UInt8(ascii: " ") { out.removeLast() }
        return out
    }

    // MARK: - Tokens matched in the text

    private enum Segment { case text(Range<Int>), token(Int) }

    private func splitOnTextTokens(_ bytes: [UInt8], parseSpecial: Bool) -> [Segment] {
        guard !textTokens.isEmpty else { return bytes.isEmpty ? [] : [.text(0..<bytes.count)] }
        var segments: [Segment] = []
        var start = 0, i = 0
        while i < bytes.count {
            let match = textTokens[bytes[i]]?.first { candidate in
                (parseSpecial || candidate.rule.matching == .always) && bytes[i...].starts(with: candidate.bytes)
            }
            if let match {
                // lstrip/rstrip tokens swallow the whitespace beside them (never past the previous token).
                var textEnd = i
                if match.rule.stripsLeft {
                    while let previous = Self.whitespaceStart(before: textEnd, in: bytes, notBefore: start) { textEnd = previous }
                }
                if start < textEnd { segments.append(.text(start..<textEnd)) }
                segments.append(.token(match.id))
                i += match.bytes.count
                if match.rule.stripsRight {
                    while let length = Self.whitespaceLength(at: i, in: bytes) { i += length }
                }
                start = i
            } else {
                i += 1
            }
        }
        if start < bytes.count { segments.append(.text(start..<bytes.count)) }
        return segments
    }

    /// The length of the whitespace character at `i`, or nil.
    private static func whitespaceLength(at i: Int, in bytes: [UInt8]) -> Int? {
        guard i < bytes.count else { return nil }
        let length = min(utf8Length(bytes[i]), bytes.count - i)
        let scalar = String(decoding: bytes[i..<i + length], as: UTF8.self).unicodeScalars.first
        return scalar?.properties.isWhitespace == true ? length : nil
    }

    /// Where the whitespace character that ends just before `end` starts, or nil.
    private static func whitespaceStart(before end: Int, in bytes: [UInt8], notBefore floor: Int) -> Int? {
        var i = end - 1
        while i > floor, bytes[i] & 0xc0 == 0x80 { i -= 1 }
        guard i >= floor, whitespaceLength(at: i, in: bytes) == end - i else { return nil }
        return i
    }

    // MARK: - Merging

    private struct Symbol {
        var start: Int
        var end: Int
        /// -1: a character outside the vocabulary (before fallback).
        var id: Int32
        var previous: Int32
        var next: Int32
    }

    private func encodeWord(_ word: ArraySlice<UInt8>) -> [Int] {
        let bytes = Array(word)
        guard !bytes.isEmpty else { return [] }
        let key = bytes.count <= 64 ? String(decoding: bytes, as: UTF8.self) : nil
        if let key, let cached = cache.get(key) { return cached }
        if options.ignoreMerges, let id = ids[String(decoding: bytes, as: UTF8.self)] { return [Int(id)] }

        var symbols = initialSymbols(bytes)
        var queue = MergeQueue(capacity: symbols.count * 2)
        var unusedMerges: [Int32: (Int32, Int32)] = [:]
        func consider(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let l = symbols[Int(left)], r = symbols[Int(right)]
            guard l.id >= 0, r.id >= 0 else { return }
            if usesScores {
                guard let merged = mergeable[String(decoding: bytes[l.start..<r.end], as: UTF8.self)] else { return }
                if pieces[Int(merged)].type == .unused { unusedMerges[merged] = (l.id, r.id) }
                queue.push(MergeCandidate(priority: Double(pieces[Int(merged)].score), left: left, right: right,
                                          leftID: l.id, rightID: r.id, merged: merged))
            } else {
                guard let merge = rankedMerges[UInt64(UInt32(l.id)) << 32 | UInt64(UInt32(r.id))] else { return }
                queue.push(MergeCandidate(priority: -Double(merge.rank), left: left, right: right,
                                          leftID: l.id, rightID: r.id, merged: merge.merged))
            }
        }
        for i in 0..<symbols.count - 1 { consider(Int32(i), Int32(i + 1)) }
        while let top = queue.pop() {
            let l = Int(top.left), r = Int(top.right)
            guard symbols[l].next == top.right, symbols[l].id == top.leftID, symbols[r].id == top.rightID else { continue }
            symbols[l].end = symbols[r].end
            symbols[l].id = top.merged
            symbols[l].next = symbols[r].next
            if symbols[r].next >= 0 { symbols[Int(symbols[r].next)].previous = top.left }
            symbols[r].id = -2
            symbols[r].next = -1
            consider(symbols[l].previous, top.left)
            consider(top.left, symbols[l].next)
        }

        var out: [Int] = []
        var index: Int32 = 0
        while index >= 0 {
            let symbol = symbols[Int(index)]
            if symbol.id >= 0 {
                appendResegmented(symbol.id, unusedMerges, into: &out)
            } else {
                appendUnknown(bytes[symbol.start..<symbol.end], into: &out)
            }
            index = symbol.next
        }
        if let key { cache.set(key, out) }
        return out
    }

    /// One symbol per character; under `.ranks` a character outside the vocabulary falls back right away.
    private func initialSymbols(_ bytes: [UInt8]) -> [Symbol] {
        var symbols: [Symbol] = []
        symbols.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + Self.utf8Length(bytes[i]))
            let character = String(decoding: bytes[i..<end], as: UTF8.self)
            var id = (usesScores ? mergeable[character] : ids[character]) ?? -1
            if id < 0, !usesScores {
                if options.byteFallback {
                    for k in i..<end { append(Symbol(start: k, end: k + 1, id: byteIDs[Int(bytes[k])], previous: 0, next: 0)) }
                    i = end
                    continue
                }
                id = Int32(unknownID ?? 0)
                if options.fuseUnknown, let last = symbols.last, last.id == id {
                    symbols[symbols.count - 1].end = end
                    i = end
                    continue
                }
            }
            append(Symbol(start: i, end: end, id: id, previous: 0, next: 0))
            i = end
        }
        return symbols

        func append(_ symbol: Symbol) {
            var symbol = symbol
            symbol.previous = Int32(symbols.count) - 1
            symbol.next = -1
            if !symbols.isEmpty { symbols[symbols.count - 1].next = Int32(symbols.count) }
            symbols.append(symbol)
        }
    }

    /// A merged unused piece is spelled by the pieces it was made from (SentencePiece's resegmentation).
    private func appendResegmented(_ id: Int32, _ unusedMerges: [Int32: (Int32, Int32)], into out: inout [Int]) {
        if pieces[Int(id)].type == .unused, let (left, right) = unusedMerges[id] {
            appendResegmented(left, unusedMerges, into: &out)
            appendResegmented(right, unusedMerges, into: &out)
        } else {
            out.append(Int(id))
        }
    }

    private func appendUnknown(_ bytes: ArraySlice<UInt8>, into out: inout [Int]) {
        if options.byteFallback {
            for byte in bytes { out.append(Int(byteIDs[Int(byte)])) }
            return
        }
        guard let unknownID else { return }
        if options.fuseUnknown, out.last == unknownID { return }
        out.append(unknownID)
    }

    private static func utf8Length(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead >> 5 == 0x6 ? 2 : lead >> 4 == 0xe ? 3 : lead >> 3 == 0x1e ? 4 : 1
    }
}
