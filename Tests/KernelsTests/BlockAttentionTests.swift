// Attention over block-stored keys and values (batched decoding's KV layout): every body, one head at a
// time or a group of query heads sharing a key head, against a Double-precision softmax over the same
// cache, for float and half storage, head sizes with and without unrolled bodies, and block tables
// whose blocks are scattered and partly filled.
import CKernels
import Foundation
import Kernels
import Testing

struct BlockAttentionTests {
    /// A KV pool of `blockCount` blocks: per block, keys of every position then values of every position. Head-major
    /// (as Engine's KVBlockPool lays out one layer), each head's positions side by side, `dimension` elements apart;
    /// else each position's heads side by side, positions `kvHeads * dimension` elements apart (the kernels take any stride).
    struct Pool {
        let dimension, kvHeads, blockTokens, blockCount: Int
        let halves: Bool
        let headMajor: Bool
        var storage: [UInt8]
        var keys: [[Float]]  // [position][kvHeads * dimension], as stored (rounded to half when halves)
        var values: [[Float]]
        let table: [Int32]

        var rowElements: Int { kvHeads * dimension }
        /// Elements between one head's consecutive positions.
        var stride: Int { headMajor ? dimension : rowElements }
        var element: Int { halves ? 2 : 4 }
        var blockBytes: Int { 2 * blockTokens * rowElements * element }

        /// Bytes from a block's keys (or values) to head `head` at slot `slot`.
        func offset(head: Int, slot: Int) -> Int {
            Self.offset(head: head, slot: slot, headMajor: headMajor, blockTokens: blockTokens, dimension: dimension, kvHeads: kvHeads) * element
        }

        /// Elements from a block's keys (or values) to head `head` at slot `slot`, in either layout.
        static func offset(head: Int, slot: Int, headMajor: Bool, blockTokens: Int, dimension: Int, kvHeads: Int) -> Int {
            headMajor ? (head * blockTokens + slot) * dimension : (slot * kvHeads + head) * dimension
        }

        init(dimension: Int, kvHeads: Int, blockTokens: Int, positions: Int, halves: Bool, headMajor: Bool = true, seed: UInt64) {
            self.dimension = dimension
            self.kvHeads = kvHeads
            self.blockTokens = blockTokens
            self.halves = halves
            self.headMajor = headMajor
            let used = (positions + blockTokens - 1) / blockTokens
            blockCount = used * 2 + 1
            // Blocks out of order and apart: block i of the sequence at pool block (3 i + 1) mod count.
            table = (0..<used).map { Int32((3 * $0 + 1) % (used * 2 + 1)) }
            var random = SeededRandom(seed: seed)
            let row = kvHeads * dimension, element = halves ? 2 : 4
            var storage = [UInt8](repeating: 0xff, count: blockCount * 2 * blockTokens * row * element)
            var keys: [[Float]] = [], values: [[Float]] = []
            for t in 0..<positions {
                let base = Int(table[t / blockTokens]) * 2 * blockTokens * row * element, valuesAt = base + blockTokens * row * element
                let slot = t % blockTokens
                var key: [Float] = [], value: [Float] = []
                for head in 0..<kvHeads {
                    let at = Self.offset(head: head, slot: slot, headMajor: headMajor, blockTokens: blockTokens, dimension: dimension,
                                         kvHeads: kvHeads) * element
                    key += Self.store((0..<dimension).map { _ in random.normal() }, halves: halves, into: &storage, at: base + at)
                    value += Self.store((0..<dimension).map { _ in random.normal() }, halves: halves, into: &storage, at: valuesAt + at)
                }
                keys.append(key)
                values.append(value)
            }
            self.storage = storage
            self.keys = keys
            self.values = values
        }

        /// Stores a row; returns what the store holds (halves round).
        private static func store(_ row: [Float], halves: Bool, into storage: inout [UInt8], at offset: Int) -> [Float] {
            guard halves else {
                row.withUnsafeBytes { storage.replaceSubrange(offset..<offset + $0.count, with: $0) }
                return row
            }
            var h = [UInt16](repeating: 0, count: row.count), back = row
            ck_floats_to_halves(row, &h, Int64(row.count))
            ck_halves_to_floats(h, &back, Int64(row.count))
            h.withUnsafeBytes { storage.replaceSubrange(offset..<offset + $0.count, with: $0) }
            return back
        }

        /// Double-precision softmax(q . k * scale) . v for key head `kvHead` over the first `count` positions.
        func reference(query: ArraySlice<Float>, kvHead: Int, count: Int, scale: Double) -> [Double] {
            let q = Array(query), offset = kvHead * dimension
            let scores = (0..<count).map { t in (0..<dimension).reduce(0.0) { $0 + Double(q[$1]) * Double(keys[t][offset + $1]) } * scale }
            let maximum = scores.max()!
            let weights = scores.map { exp($0 - maximum) }
            let total = weights.reduce(0, +)
            return (0..<dimension).map { i in (0..<count).reduce(0.0) { $0 + weights[$1] * Double(values[$1][offset + i]) } / total }
        }

        /// Runs one query head (group 1) or a group through the kernel on `path`.
        func attend(queries: [Float], group: Int, kvHead: Int, count: Int, scale: Float, path: KernelPath) -> [Float] {
            var out = [Float](repeating: .nan, count: group * dimension)
            var scores = [Float](repeating: .nan, count: group * count)
            storage.withUnsafeBytes { raw in
                table.withUnsafeBufferPointer { t in
                    var blocks = ck_kv_blocks(
                        base: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), table: t.baseAddress!,
                        block_bytes: blockBytes, key_offset: offset(head: kvHead, slot: 0),
                        value_offset: blockTokens * rowElements * element + offset(head: kvHead, slot: 0),
                        block_tokens: Int64(blockTokens), stride: Int64(stride), halves: halves ? 1 : 0)
                    if group == 1 {
                        ck_attend_blocks_with(path.rawValue, queries, &blocks, Int64(count), Int64(dimension), scale, &scores, &out)
                    } else {
                        ck_attend_blocks_group(path.rawValue, queries, Int32(group), &blocks, Int64(count), Int64(dimension), scale,
                                               &scores, &out)
                    }
                }
            }
            return out
        }
    }

    static let cases: [(dimension: Int, group: Int, blockTokens: Int)] = [
        (64, 1, 16), (64, 3, 16), (64, 2, 5), (64, 4, 16), (128, 3, 16), (128, 1, 7), (32, 3, 16), (144, 2, 16),
    ]

    @Test(arguments: 0..<cases.count, [(false, true), (true, true), (false, false), (true, false)])
    func everyBodyMatchesADoubleSoftmax(caseIndex: Int, layout: (halves: Bool, headMajor: Bool)) {
        let (dimension, group, blockTokens) = Self.cases[caseIndex]
        let kvHeads = 2, positions = 83
        let pool = Pool(dimension: dimension, kvHeads: kvHeads, blockTokens: blockTokens, positions: positions, halves: layout.halves,
                        headMajor: layout.headMajor, seed: UInt64(31 + caseIndex))
        var random = SeededRandom(seed: 99)
        let queries = (0..<group * dimension).map { _ in random.normal() * 0.7 }
        let scale = 1 / Float(dimension).squareRoot()
        // Counts inside one block, across block edges, and the whole cache.
        for count in [1, 2, 15, 16, 17, 40, positions] {
            for path in KernelPath.available {
                let out = pool.attend(queries: queries, group: group, kvHead: 1, count: count, scale: scale, path: path)
                for g in 0..<group {
                    let expected = pool.reference(query: queries[g * dimension..<(g + 1) * dimension], kvHead: 1, count: count,
                                                  scale: Double(scale))
                    let worst = (0..<dimension).map { abs(Double(out[g * dimension + $0]) - expected[$0]) }.max()!
                    #expect(worst < 2e-5, "\(path), dimension \(dimension), group \(group), head \(g), \(count) positions: off by \(worst)")
                }
            }
        }
    }

    /// A group's heads get what each head gets alone on the same path, up to rounding.
    @Test func aGroupEqualsItsHeadsOneByOne() {
        let dimension = 64, group = 3
        let pool = Pool(dimension: dimension, kvHeads: 1, blockTokens: 16, positions: 200, halves: false, seed: 5)
        var random = SeededRandom(seed: 6)
        let queries = (0..<group * dimension).map { _ in random.normal() }
        let path = KernelPath.available.last!
        let together = pool.attend(queries: queries, group: group, kvHead: 0, count: 200, scale: 0.125, path: path)
        for g in 0..<group {
            let alone = pool.attend(queries: Array(queries[g * dimension..<(g + 1) * dimension]), group: 1, kvHead: 0, count: 200,
                                    scale: 0.125, path: path)
            for i in 0..<dimension { #expect(abs(together[g * dimension + i] - alone[i]) < 1e-6) }
        }
    }
}
