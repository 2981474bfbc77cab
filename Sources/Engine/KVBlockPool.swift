// The KV cache of batched decoding, in blocks of a few positions (paged, as in vLLM): a sequence holds
// a table of block ids, and sequences that start with the same prompt share its blocks without copying.
// Block layout: [layer][keys | values][kv head][position in block][head dim], floats or halves: one head's keys
// for a block are one contiguous run (4 KiB for 16 positions of 64 floats), which a hardware prefetcher follows.
import CKernels
import Foundation
import Kernels

public enum KVPrecision: String, Sendable, CaseIterable {
    case f32
    /// Half the memory; keys and values rounded to IEEE half precision.
    case f16

    public var bytes: Int { self == .f32 ? 4 : 2 }
}

final class KVBlockPool: @unchecked Sendable {
    let layerCount: Int
    let kvDimension: Int
    let headDimension: Int
    let blockTokens: Int
    let precision: KVPrecision
    let blockCount: Int
    /// Bytes of one block: every layer's keys and values for `blockTokens` positions.
    let blockBytes: Int
    /// Reserved at once but touched only as blocks are used, so an unused bound costs no memory.
    let storage: UnsafeMutableRawPointer
    private(set) var referenceCounts: [Int32]
    /// Bumped when a block is handed out again, so prefix-cache keys naming an old use go stale.
    private(set) var generations: [UInt32]
    private var free: [Int32]
    /// Blocks ever handed out: the high-water mark of the memory the cache touched.
    private(set) var touched = 0

    init(layerCount: Int, kvDimension: Int, headDimension: Int, blockTokens: Int, precision: KVPrecision, maxBytes: Int) {
        precondition(kvDimension % headDimension == 0, "a KV row of \(kvDimension) values is not whole heads of \(headDimension)")
        self.layerCount = layerCount
        self.kvDimension = kvDimension
        self.headDimension = headDimension
        self.blockTokens = blockTokens
        self.precision = precision
        blockBytes = Self.blockBytes(layerCount: layerCount, kvDimension: kvDimension, blockTokens: blockTokens, precision: precision)
        blockCount = max(1, maxBytes / blockBytes)
        // Attention streams every cached position of a sequence each step, from blocks anywhere in the pool.
        storage = HugePages.allocate(byteCount: blockCount * blockBytes)
        referenceCounts = Array(repeating: 0, count: blockCount)
        generations = Array(repeating: 0, count: blockCount)
        // Low ids first, so the memory touched grows from the start of the reservation.
        free = (0..<Int32(blockCount)).reversed()
    }

    deinit { storage.deallocate() }

    /// Bytes of one block of this shape: every layer's keys and values for `blockTokens` positions.
    static func blockBytes(layerCount: Int, kvDimension: Int, blockTokens: Int, precision: KVPrecision) -> Int {
        layerCount * 2 * blockTokens * kvDimension * precision.bytes
    }

    /// Bytes one cached position takes: keys and values of every layer.
    var bytesPerToken: Int { layerCount * 2 * kvDimension * precision.bytes }
    var freeCount: Int { free.count }
    var touchedBytes: Int { touched * blockBytes }

    /// A block with one reference, or nil when none is free.
    func allocate() -> Int32? {
        guard let block = free.popLast() else { return nil }
        referenceCounts[Int(block)] = 1
        generations[Int(block)] &+= 1
        touched = max(touched, Int(block) + 1)
        return block
    }

    func retain(_ block: Int32) { referenceCounts[Int(block)] += 1 }

    /// Drops a reference; true when it was the last (the caller decides whether the block is freed or kept).
    func release(_ block: Int32) -> Bool {
        referenceCounts[Int(block)] -= 1
        precondition(referenceCounts[Int(block)] >= 0, "KV block \(block) released more often than retained")
        return referenceCounts[Int(block)] == 0
    }

    func recycle(_ block: Int32) {
        precondition(referenceCounts[Int(block)] == 0, "KV block \(block) recycled while in use")
        free.append(block)
    }

    // MARK: - Addresses

    /// Byte offset inside a block of a layer's keys (values follow them).
    func keyOffset(layer: Int) -> Int { layer * 2 * blockTokens * kvDimension * precision.bytes }
    func valueOffset(layer: Int) -> Int { keyOffset(layer: layer) + blockTokens * kvDimension * precision.bytes }
    /// Byte offset of key head `head`'s run of positions from its layer's keys (or values).
    func headOffset(_ head: Int) -> Int { head * blockTokens * headDimension * precision.bytes }

    /// Stores one position's keys and values for one layer, key heads `heads` (`keys` and `values` point at the
    /// first head's): all of them, or one from an attention task.
    func store(block: Int32, slot: Int, layer: Int, heads: Range<Int>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        let base = storage + Int(block) * blockBytes, hd = headDimension, slotBytes = slot * hd * precision.bytes
        for (i, head) in heads.enumerated() {
            let k = base + keyOffset(layer: layer) + headOffset(head) + slotBytes
            let v = base + valueOffset(layer: layer) + headOffset(head) + slotBytes
            switch precision {
            case .f32:
                k.copyMemory(from: keys + i * hd, byteCount: hd * MemoryLayout<Float>.size)
                v.copyMemory(from: values + i * hd, byteCount: hd * MemoryLayout<Float>.size)
            case .f16:
                ck_floats_to_halves(keys + i * hd, k.assumingMemoryBound(to: UInt16.self), Int64(hd))
                ck_floats_to_halves(values + i * hd, v.assumingMemoryBound(to: UInt16.self), Int64(hd))
            }
        }
    }
}
