// The KV bound a batch engine takes when none is given: sized from the model and the machine, and the memory
// limit read from the control group's files.
import Engine
import Foundation
import Testing

struct KVMemoryBoundTests {
    static let gib = 1 << 30

    /// SmolLM2 (46,080 bytes a position in f32, context 8192): 16 sequences of 2048 positions, under the memory cap.
    @Test func smallKVModelsGetRoomForEverySequence() {
        let bound = KVMemoryBound.automatic(bytesPerToken: 46_080, contextLength: 8192, maxSequences: 16, memoryLimit: 24 * Self.gib)
        #expect(bound == 16 * 2048 * 46_080)
    }

    /// Abacus (MHA, 737,280 bytes a position in f32, context 4096): the fixed 512 MiB held 728 positions, less than one
    /// pipeline request (a 900-token prompt and 512 generated); the automatic bound stops at a quarter of memory.
    @Test func largeKVModelsStopAtAQuarterOfMemory() {
        let perPosition = 737_280, request = 900 + 512
        #expect(KVMemoryBound.floorBytes / perPosition < request)
        let bound = KVMemoryBound.automatic(bytesPerToken: perPosition, contextLength: 4096, maxSequences: 16, memoryLimit: 24 * Self.gib)
        #expect(bound == 6 * Self.gib)
        #expect(bound / perPosition / request >= 6)
        // f16 halves a position: twice the requests in the same bound.
        let halves = KVMemoryBound.automatic(bytesPerToken: perPosition / 2, contextLength: 4096, maxSequences: 16, memoryLimit: 24 * Self.gib)
        #expect(halves / (perPosition / 2) / request >= 12)
    }

    @Test func oneWholeContextAndTheFloor() {
        // One sequence still gets room for a request of the whole context.
        #expect(KVMemoryBound.automatic(bytesPerToken: 1 << 20, contextLength: 4096, maxSequences: 1, memoryLimit: 64 * Self.gib)
                == 4096 << 20)
        // Tiny models and small machines keep the old fixed bound.
        #expect(KVMemoryBound.automatic(bytesPerToken: 64, contextLength: 512, maxSequences: 4, memoryLimit: 64 * Self.gib)
                == KVMemoryBound.floorBytes)
        #expect(KVMemoryBound.automatic(bytesPerToken: 1 << 20, contextLength: 4096, maxSequences: 16, memoryLimit: Self.gib)
                == KVMemoryBound.floorBytes)
        // Absurd shapes do not overflow.
        #expect(KVMemoryBound.automatic(bytesPerToken: Int.max / 2, contextLength: 1 << 20, maxSequences: 1 << 10, memoryLimit: 8 * Self.gib)
                == 2 * Self.gib)
    }

    @Test func cgroupLimits() {
        // cgroup v1: the memory controller's path; the lowest limit on the path and its ancestors wins, "unlimited"
        // (2^63 rounded to pages) is none.
        let v1 = "4:memory:/process_api/job7\n1:cpu:/\n0::/\n"
        let files = ["/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
                     "/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes": "8589934592\n",
                     "/sys/fs/cgroup/memory/process_api/job7/memory.limit_in_bytes": "17179869184\n"]
        #expect(KVMemoryBound.cgroupLimit(procSelfCgroup: v1) { files[$0] } == 8 * Self.gib)
        // cgroup v2: memory.max, "max" meaning none.
        let v2 = "0::/system.slice/slurm-job.scope\n"
        let unified = ["/sys/fs/cgroup/system.slice/memory.max": "max\n",
                       "/sys/fs/cgroup/system.slice/slurm-job.scope/memory.max": "4294967296\n"]
        #expect(KVMemoryBound.cgroupLimit(procSelfCgroup: v2) { unified[$0] } == 4 * Self.gib)
        #expect(KVMemoryBound.cgroupLimit(procSelfCgroup: v2) { _ in "max" } == nil)
        #expect(KVMemoryBound.cgroupLimit(procSelfCgroup: "3:cpuset:/\n") { _ in "1024" } == nil)
        // This process: some positive limit no larger than the machine's memory.
        let limit = KVMemoryBound.memoryLimit()
        #expect(limit > 0 && UInt64(limit) <= ProcessInfo.processInfo.physicalMemory)
    }
}
