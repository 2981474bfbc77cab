// Keys and values of the tokens seen so far, per layer, as floats: [position][kv head][head dim].

public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    public let capacity: Int
    public let kvDimension: Int
    /// Tokens stored (the position of the next token).
    public internal(set) var count = 0
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>

    public init(layerCount: Int, capacity: Int, kvDimension: Int) {
        self.layerCount = layerCount
        self.capacity = capacity
        self.kvDimension = kvDimension
        let total = layerCount * capacity * kvDimension
        keys = .allocate(capacity: total)
        values = .allocate(capacity: total)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    public var byteCount: Int { 2 * layerCount * capacity * kvDimension * MemoryLayout<Float>.size }

    func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * capacity * kvDimension }
    func values(layer: Int) -> UnsafeMutablePointer<Float> { values + layer * capacity * kvDimension }

    /// Forgets everything after the first `count` tokens (a shared prompt prefix survives).
    public func truncate(to count: Int) { self.count = min(self.count, max(0, count)) }
}
