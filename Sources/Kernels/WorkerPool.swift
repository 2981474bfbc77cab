// Threads for per-operation parallelism; the calling thread is worker 0 (see CKernels/pool.c).
import CKernels

public final class WorkerPool: @unchecked Sendable {
    private let pool: OpaquePointer

    public init(threads: Int) {
        guard let pool = ck_pool_create(Int32(max(1, threads))) else {
            preconditionFailure("could not allocate a thread pool")
        }
        self.pool = pool
    }

    deinit { ck_pool_destroy(pool) }

    public var threads: Int { Int(ck_pool_threads(pool)) }

    /// Runs body(threadIndex, threadCount) on every thread at once; returns when all are done.
    public func run(_ body: (Int, Int) -> Void) {
        withoutActuallyEscaping(body) { task in
            var task = task
            withUnsafeMutablePointer(to: &task) { pointer in
                ck_pool_run(pool, { context, index, count in
                    let task = context!.assumingMemoryBound(to: ((Int, Int) -> Void).self).pointee
                    task(Int(index), Int(count))
                }, pointer)
            }
        }
    }

    /// Lets idle workers sleep at once rather than spin; call before other threads need the cores.
    public func rest() { ck_pool_rest(pool) }

    /// Splits 0..<count into one contiguous range per thread and runs body on each (empty ranges skipped).
    public func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        if threads == 1 || count < 2 {
            body(0..<count)
            return
        }
        run { index, threadCount in
            let range = Self.share(of: count, thread: index, threads: threadCount)
            if !range.isEmpty { body(range) }
        }
    }

    /// The part of 0..<count that thread `thread` of `threads` takes.
    public static func share(of count: Int, thread: Int, threads: Int) -> Range<Int> {
        let start = count * thread / threads
        let end = count * (thread + 1) / threads
        return start..<end
    }
}
