// An embedder with no model: feature hashing of character trigrams (FNV-1a into `dimension` buckets, signed), then
// L2 norm. Equal texts get equal vectors and near-identical texts near ones, so it finds exact and near-exact
// duplicates (not paraphrases).

public struct HashingEmbedder: Embedder {
    public var dimension: Int

    public init(dimension: Int = 256) { self.dimension = dimension }

    public var name: String { "hashing-trigram-\(dimension)" }

    public func embed(_ texts: [String]) throws -> [[Float]] { texts.map(vector) }

    func vector(_ text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: dimension)
        let bytes = Array(text.utf8)
        let grams = max(1, bytes.count - 2)
        for start in 0..<grams {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes[start..<min(bytes.count, start + 3)] {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
            let bucket = Int(hash % UInt64(dimension))
            vector[bucket] += (hash >> 63) == 0 ? 1 : -1
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
