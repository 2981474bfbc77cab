// The ids of a tokenizer.json size the tables built from them, so each is checked first: a crafted id of
// 999999999999 is an error naming its token, not a 16 TB table.
import ModelFiles

enum TokenizerJSONIDs {
    /// Ids may run past the number of entries (a trimmed vocabulary keeps its model's ids), but not past
    /// 2^20 or that number, whichever is larger: the tables sized from them stay a few megabytes.
    static func limit(entries: Int) -> Int { max(entries, 1 << 20) }

    /// Throws unless every id in `model.vocab` and `added_tokens` lies in 0..<limit.
    static func check(vocab: [String: Int], addedTokens: [[String: Any]], file: String) throws(TokenizerError) {
        let entries = vocab.count + addedTokens.count
        let ids = 0..<limit(entries: entries)
        // Of several bad ids the error names the smallest token, the same one on every run.
        if let (token, id) = vocab.filter({ !ids.contains($0.value) }).min(by: { $0.key < $1.key }) {
            throw .invalid(file: file, key: "model.vocab[\"\(FileText.quoted(token))\"]", reason: outside(id, entries: entries))
        }
        for (index, item) in addedTokens.enumerated() {
            if let id = item["id"] as? Int, !ids.contains(id) {
                throw .invalid(file: file, key: "added_tokens[\(index)].id", reason: outside(id, entries: entries))
            }
        }
    }

    static func outside(_ id: Int, entries: Int) -> String {
        "id \(id) is outside 0..<\(limit(entries: entries)), the ids a vocabulary of \(entries) entries may use"
    }
}
