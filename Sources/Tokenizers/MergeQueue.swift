// The candidate merges of one word, best first: a binary max-heap on (priority, then leftmost position).

struct MergeCandidate {
    /// Higher merges first: a piece's score, or minus a merge's rank.
    var priority: Double
    var left: Int32
    var right: Int32
    /// The ids the pair had when queued; a pair that changed since is stale and skipped.
    var leftID: Int32
    var rightID: Int32
    var merged: Int32

    func precedes(_ other: MergeCandidate) -> Bool {
        priority > other.priority || (priority == other.priority && left < other.left)
    }
}

struct MergeQueue {
    private var items: [MergeCandidate] = []

    init(capacity: Int) { items.reserveCapacity(capacity) }

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ item: MergeCandidate) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> MergeCandidate? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var best = parent
                if left < items.count, items[left].precedes(items[best]) { best = left }
                if right < items.count, items[right].precedes(items[best]) { best = right }
                if best == parent { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
