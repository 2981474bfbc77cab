// How much KV cache a batch engine may hold when its caller names no bound. One fixed size fits no model:
// 512 MiB is 11,000 positions of SmolLM2 but 728 of Abacus (MHA, 737 KB a position in f32), fewer than one
// pipeline request (a prompt of 300-900 tokens and up to 512 generated). So the bound is sized from the model:
// room for every sequence at a pipeline request's length, and for one request of the whole context, within a
// quarter of the memory this process may use. Blocks are touched only as they are used.
import Foundation

public enum KVMemoryBound {
    /// Positions each parallel sequence gets room for: a pipeline request with margin.
    public static let positionsPerSequence = 2048
    /// The bound never goes below the fixed one it replaced.
    public static let floorBytes = 512 << 20

    /// The bound for a model whose cached position takes `bytesPerToken`, with `maxSequences` decoding together.
    public static func automatic(bytesPerToken: Int, contextLength: Int, maxSequences: Int,
                                 memoryLimit: Int = KVMemoryBound.memoryLimit()) -> Int {
        let positions = max(contextLength, max(1, maxSequences) * min(contextLength, positionsPerSequence))
        let wanted = positions.multipliedReportingOverflow(by: bytesPerToken)
        return max(floorBytes, min(wanted.overflow ? Int.max : wanted.partialValue, memoryLimit / 4))
    }

    /// Bytes this process may use: the machine's memory, or its control group's limit where lower (a container,
    /// a Slurm job), read from cgroup v2's `memory.max` or v1's `memory.limit_in_bytes` along the group's path.
    public static func memoryLimit() -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let groups = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
        let limit = cgroupLimit(procSelfCgroup: groups) { try? String(contentsOfFile: $0, encoding: .utf8) }
        return min(physical, limit ?? physical)
    }

    /// The lowest memory limit on the group's path and its ancestors, nil where none is set. `read` returns a
    /// file's text (nil when absent); `procSelfCgroup` is `/proc/self/cgroup`'s text.
    public static func cgroupLimit(procSelfCgroup: String, read: (String) -> String?) -> Int? {
        var lowest: Int?
        for line in procSelfCgroup.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let unified = fields[0] == "0" && fields[1].isEmpty
            guard unified || fields[1].split(separator: ",").contains("memory") else { continue }
            let mounts = unified ? ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] : ["/sys/fs/cgroup/memory"]
            let name = unified ? "memory.max" : "memory.limit_in_bytes"
            let parts = fields[2].split(separator: "/").map(String.init)
            // The limit of every ancestor applies too.
            for mount in mounts {
                for depth in 0...parts.count {
                    let directory = ([mount] + parts.prefix(depth)).joined(separator: "/")
                    // "max" (v2) and v1's near-2^63 mean no limit.
                    guard let text = read("\(directory)/\(name)"),
                          let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), value > 0, value < 1 << 62 else { continue }
                    lowest = min(lowest ?? value, value)
                }
            }
        }
        return lowest
    }
}
