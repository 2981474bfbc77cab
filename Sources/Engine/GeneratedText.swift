// The text of a generation as tokens arrive: whole characters only, cut at the first stop string.
// Shared by the single-sequence and the batched generators.
import Tokenizers

struct GeneratedText {
    let stops: [String]
    private let longestStop: Int
    private var decoder = StreamingDecoder(skipSpecialTokens: true)
    private(set) var text = ""

    init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }
        longestStop = stops.map(\.utf8.count).max() ?? 0
    }

    /// Adds a token's text. Returns the new text to hand on, and whether a stop string ended the
    /// generation (the stop string and whatever followed it are dropped).
    mutating func append(_ id: Int, from tokenizer: any Tokenizer) -> (piece: String, stopped: Bool) {
        let piece = decoder.append(id, from: tokenizer)
        guard !piece.isEmpty else { return ("", false) }
        let searchFrom = text.utf8.count - min(text.utf8.count, longestStop)
        text += piece
        for stop in stops {
            let tail = String(Substring(text.utf8.dropFirst(searchFrom)))
            if let range = tail.range(of: stop) {
                let cut = searchFrom + tail[..<range.lowerBound].utf8.count
                let kept = String(decoding: text.utf8.prefix(cut), as: UTF8.self)
                let emitted = String(decoding: kept.utf8.dropFirst(text.utf8.count - piece.utf8.count), as: UTF8.self)
                text = kept
                return (emitted, true)
            }
        }
        return (piece, false)
    }

    /// Flushes bytes held back for an unfinished character (after a finish other than a stop string).
    mutating func finish() -> String {
        let rest = decoder.finish()
        text += rest
        return rest
    }
}
