// Shared prompt prefixes: full blocks of prompt KV found by content, so a recipe's system prompt and
// examples are computed once and reused by every request that starts with them. A block is keyed by its
// parent block (with the parent's generation, so keys from a recycled parent never match) and its tokens.
// Blocks no sequence holds stay cached up to `capacity`, least recently used first out.

final class PrefixCache {
    struct Key: Hashable {
        let parent: Int32
        let parentGeneration: UInt32
        let tokens: [Int]
    }

    /// Most cached blocks kept while no sequence uses them.
    let capacity: Int
    private var blockOfKey: [Key: Int32] = [:]
    private var keyOfBlock: [Int32: Key] = [:]
    /// Cached blocks that no sequence holds, with the time of their last use.
    private var idle: [Int32: UInt64] = [:]
    private var clock: UInt64 = 0
    private(set) var hits = 0
    private(set) var evictions = 0

    init(capacity: Int) { self.capacity = capacity }

    static let root: (block: Int32, generation: UInt32) = (-1, 0)

    var idleCount: Int { idle.count }
    var cachedCount: Int { keyOfBlock.count }

    /// The cached block that follows `parent` with these tokens, retained for the caller.
    func lookup(parent: Int32, tokens: ArraySlice<Int>, pool: KVBlockPool) -> Int32? {
        let key = Key(parent: parent, parentGeneration: generation(parent, pool), tokens: Array(tokens))
        guard let block = blockOfKey[key] else { return nil }
        idle.removeValue(forKey: block)
        pool.retain(block)
        hits += 1
        return block
    }

    /// Makes a full block of prompt KV findable (unless the same content is cached already).
    func insert(_ block: Int32, parent: Int32, tokens: ArraySlice<Int>, pool: KVBlockPool) {
        guard keyOfBlock[block] == nil else { return }
        let key = Key(parent: parent, parentGeneration: generation(parent, pool), tokens: Array(tokens))
        guard blockOfKey[key] == nil else { return }
        blockOfKey[key] = block
        keyOfBlock[block] = key
    }

    /// The last reference to `block` is gone: keep it if cached (evicting the oldest beyond capacity),
    /// else give it back to the pool.
    func released(_ block: Int32, pool: KVBlockPool) {
        guard keyOfBlock[block] != nil else {
            pool.recycle(block)
            return
        }
        clock += 1
        idle[block] = clock
        while idle.count > capacity { _ = evictOldest(pool: pool) }
    }

    /// Frees the least recently used idle block; false when there is none.
    func evictOldest(pool: KVBlockPool) -> Bool {
        guard let (block, _) = idle.min(by: { $0.value < $1.value }) else { return false }
        idle.removeValue(forKey: block)
        if let key = keyOfBlock.removeValue(forKey: block) { blockOfKey.removeValue(forKey: key) }
        evictions += 1
        pool.recycle(block)
        return true
    }

    private func generation(_ block: Int32, _ pool: KVBlockPool) -> UInt32 {
        block < 0 ? Self.root.generation : pool.generations[Int(block)]
    }
}
