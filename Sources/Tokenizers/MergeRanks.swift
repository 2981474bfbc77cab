// Merge rules ("left right", by rank) as a lookup from a pair of ids to the rule's rank and the id of the merged
// token; the first rule for a pair wins, as in `tokenizers`. Byte-level and SentencePiece-style BPE share it.

enum MergeRanks {
    typealias Table = [UInt64: (rank: Int32, merged: Int32)]

    static func key(_ left: Int, _ right: Int) -> UInt64 { UInt64(UInt32(left)) << 32 | UInt64(UInt32(right)) }

    /// The table, or the rank and text of the first rule that names a token `id(of:)` does not know.
    static func table(_ merges: [String], id: (String) -> Int?) -> Result<Table, BadMerge> {
        var table: Table = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let parts = merge.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let left = id(String(parts[0])), let right = id(String(parts[1])),
                  let merged = id(String(parts[0]) + String(parts[1])) else {
                return .failure(BadMerge(rank: rank, text: merge))
            }
            let key = key(left, right)
            if table[key] == nil { table[key] = (Int32(rank), Int32(merged)) }
        }
        return .success(table)
    }

    struct BadMerge: Error {
        var rank: Int
        var text: String
    }
}
