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

    /// Runs body over 0..<count in contiguous chunks that threads claim as they come, so a thread the OS
    /// has not scheduled does not hold up the others. Each chunk is passed once; a thread may get several.
    public func parallelFor(_ count: Int, _ body: (Range<Int>) -> Void) {
        if threads == 1 || count < 2 {
            if count > 0 { body(0..<count) }
            return
        }
        // One chunk a thread, as a static split would give, but claimed: a descheduled worker's chunk
        // is taken by whoever is free (measured: finer chunks cost 10-15% on a quiet machine).
        let chunk = (count + threads - 1) / threads
        withoutActuallyEscaping(body) { task in
            var task = task
            withUnsafeMutablePointer(to: &task) { pointer in
                ck_pool_for(pool, Int64(count), Int64(chunk), { context, begin, end in
                    let task = context!.assumingMemoryBound(to: ((Range<Int>) -> Void).self).pointee
                    task(Int(begin)..<Int(end))
                }, pointer)
            }
        }
    }

    /// The part of 0..<count that thread `thread` of `threads` takes.
    public static func share(of count: Int, thread: Int, threads: Int) -> Range<Int> {
        let start = count * thread / threads
        let end = count * (thread + 1) / threads
        return start..<end
    }
}
