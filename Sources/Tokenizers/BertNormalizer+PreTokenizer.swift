// BERT's pre-tokenizer: split on whitespace (dropped) and on punctuation (kept, one character per word).
extension BertNormalizer {
    /// Word boundaries in normalized text, as ranges of scalar indices.
    public static func splitWords(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var start: Int? = nil
        for (index, scalar) in scalars.enumerated() {
            if scalar.properties.isWhitespace {
                if let begin = start { words.append(begin..<index) }
                start = nil
            } else if isPunctuation(scalar) {
                if let begin = start { words.append(begin..<index) }
                words.append(index..<(index + 1))
                start = nil
            } else if start == nil {
                start = index
            }
        }
        if let begin = start { words.append(begin..<scalars.count) }
        return words
    }

    /// ASCII punctuation (which includes symbols like `$+<=>^|~`) and the Unicode P* categories.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value)
                || (0x5B...0x60).contains(value) || (0x7B...0x7E).contains(value)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
