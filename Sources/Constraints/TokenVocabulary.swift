// The byte strings of a tokenizer's vocabulary as a trie laid out in preorder, so that the tokens a
// grammar state allows are found in one forward pass that skips every subtree the state rules out.
import Tokenizers

public final class TokenVocabulary: Sendable {
    public let size: Int
    /// Tokens that end generation; allowed only where the constraint may end.
    public let endIDs: [Int]
    let tokenBytes: [[UInt8]]
    // Preorder trie: node i reads `nodeByte[i]` at depth `nodeDepth[i]` (1 for children of the root);
    // its subtree ends before `subtreeEnd[i]`; the tokens spelled by the path to it are
    // `tokenIDs[tokenStart[i]..<tokenStart[i + 1]]`.
    let nodeByte: [UInt8]
    let nodeDepth: [UInt16]
    let subtreeEnd: [Int32]
    let tokenStart: [Int32]
    let tokenIDs: [Int32]
    let maxDepth: Int

    public var nodeCount: Int { nodeByte.count }

    /// - Parameters:
    ///   - tokenBytes: the bytes of each id.
    ///   - endIDs: ids that end generation.
    ///   - excluded: ids that are never sampled under a constraint (control tokens, empty ones).
    public init(tokenBytes: [[UInt8]], endIDs: Set<Int>, excluded: Set<Int>) {
        size = tokenBytes.count
        self.endIDs = endIDs.sorted()
        self.tokenBytes = tokenBytes
        let order = tokenBytes.indices
            .filter { !tokenBytes[$0].isEmpty && !excluded.contains($0) && !endIDs.contains($0) }
            .sorted { tokenBytes[$0].lexicographicallyPrecedes(tokenBytes[$1]) }
        var bytes: [UInt8] = [], depths: [UInt16] = [], ids: [Int32] = [], owners: [Int]  = []
        var path: [UInt8] = []
        var deepest = 0
        for id in order {
            let spelling = tokenBytes[id]
            var common = 0
            while common < path.count, common < spelling.count, path[common] == spelling[common] { common += 1 }
            path.removeLast(path.count - common)
            for byte in spelling[common...] {
                path.append(byte)
                bytes.append(byte)
                depths.append(UInt16(path.count))
            }
            deepest = max(deepest, path.count)
            // In sorted order a token's node is the last one made (equal spellings share it).
            ids.append(Int32(id))
            owners.append(bytes.count - 1)
        }
        var tokenStart = [Int32](repeating: 0, count: bytes.count + 1)
        for node in owners { tokenStart[node + 1] += 1 }
        for i in 0..<bytes.count { tokenStart[i + 1] += tokenStart[i] }
        // Subtree ends: the next node at the same or a smaller depth.
        var ends = [Int32](repeating: Int32(bytes.count), count: bytes.count)
        var open: [Int] = []
        for i in 0..<bytes.count {
            while let last = open.last, depths[last] >= depths[i] {
                ends[last] = Int32(i)
                open.removeLast()
            }
            open.append(i)
        }
        nodeByte = bytes
        nodeDepth = depths
        subtreeEnd = ends
        self.tokenStart = tokenStart
        tokenIDs = ids
        maxDepth = deepest
    }

    /// The vocabulary of a tokenizer: special tokens other than the end tokens are never sampled.
    public convenience init(tokenizer: some Tokenizer) {
        let bytes = (0..<tokenizer.vocabularySize).map { tokenizer.bytes(of: $0) }
        let excluded = Set((0..<tokenizer.vocabularySize).filter { tokenizer.isSpecial($0) })
        self.init(tokenBytes: bytes, endIDs: tokenizer.endIDs, excluded: excluded)
    }

    public func bytes(of id: Int) -> [UInt8] { tokenBytes.indices.contains(id) ? tokenBytes[id] : [] }
}
