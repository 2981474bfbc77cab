// An open-addressing table from 64-bit hashes (already well mixed) to problem numbers, kept in two flat arrays so
// that it is written to and read from the index cache as it is, without rebuilding.

struct HashTable: Sendable, Equatable {
    /// 0 marks an empty slot; a key that hashes to 0 is stored as 1.
    private(set) var keys: [UInt64]
    /// A problem number, or -(k + 1) for the k-th list in `lists` when several problems share the key.
    private(set) var values: [Int32]
    private(set) var lists: [[Int32]]
    private(set) var count = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        lists = []
    }

    init(keys: [UInt64], values: [Int32], lists: [[Int32]], count: Int) {
        self.keys = keys; self.values = values; self.lists = lists; self.count = count
    }

    @inline(__always) static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    /// Adds `problem` under `key` (once: adding the same pair again does nothing).
    mutating func insert(_ key: UInt64, _ problem: Int32) {
        if count * 2 >= keys.count { grow() }
        let key = Self.stored(key)
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: key) & mask
        while keys[slot] != 0 {
            if keys[slot] == key {
                let value = values[slot]
                if value >= 0 {
                    if value != problem { lists.append([value, problem]); values[slot] = -Int32(lists.count) }
                } else if !lists[Int(-value - 1)].contains(problem) {
                    lists[Int(-value - 1)].append(problem)
                }
                return
            }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        values[slot] = problem
        count += 1
    }

    /// Calls `body` with each problem stored under `key`.
    @inline(__always) func forEach(_ key: UInt64, _ body: (Int32) -> Void) {
        let key = Self.stored(key)
        let mask = keys.count - 1
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let found = keys[slot]
            if found == 0 { return }
            if found == key {
                let value = values[slot]
                if value >= 0 { body(value) } else { for problem in lists[Int(-value - 1)] { body(problem) } }
                return
            }
            slot = (slot + 1) & mask
        }
    }

    func contains(_ key: UInt64) -> Bool {
        var found = false
        forEach(key) { _ in found = true }
        return found
    }

    private mutating func grow() {
        let old = (keys, values)
        keys = [UInt64](repeating: 0, count: old.0.count * 2)
        values = [Int32](repeating: 0, count: old.0.count * 2)
        let mask = keys.count - 1
        for (key, value) in zip(old.0, old.1) where key != 0 {
            var slot = Int(truncatingIfNeeded: key) & mask
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            values[slot] = value
        }
    }
}
