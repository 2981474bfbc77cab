// Callers on any thread share one running batch. A caller hands its requests in and, if no one is
// driving, becomes the driver: it runs steps for everyone's sequences, and requests handed in meanwhile
// join at the next step. Each caller waits only for its own requests. When the driver's requests are done
// it stops and a waiting caller takes over, so no caller's return waits on unrelated work (the cost is
// one thread switch per hand-over). Driver state (queue, active, KV pool, prefix cache, counters) is only
// touched by the driver; `gate` guards what callers share: arrivals, results, the driving flag.
import Foundation

extension BatchEngine {
    /// Runs every request to its end; one result per request, in order. A request that cannot run (empty,
    /// too long, larger than the KV bound) fails alone; the others are not disturbed. Callers on other
    /// threads may run requests at the same time: they decode in the same steps. `onText` and `isCancelled`
    /// are called on the driving caller's thread, which may be another caller's.
    public func run(_ requests: [BatchRequest]) -> [Result<GenerationResult, EngineError>] {
        let submission = BatchSubmission(count: requests.count)
        var sequences: [BatchSequence] = []
        for (index, request) in requests.enumerated() {
            if let error = check(request) {
                submission.results[index] = .failure(error)
            } else {
                sequences.append(BatchSequence(submission: submission, index: index, request: request, constraints: constraints))
            }
        }
        gate.lock()
        submission.remaining = sequences.count
        unfinished += sequences.count
        arrivals += sequences
        while submission.remaining > 0 {
            guard !driving else {
                gate.wait()
                continue
            }
            driving = true
            gate.unlock()
            drive(until: submission)
            gate.lock()
            driving = false
            // A caller still waiting for its requests takes over.
            gate.broadcast()
        }
        gate.unlock()
        return submission.results.map { $0! }
    }

    /// Runs steps until this submission's requests are all done.
    private func drive(until submission: BatchSubmission) {
        while true {
            gate.withLock {
                queue += arrivals
                arrivals = []
            }
            for sequence in queue where sequence.request.isCancelled?() == true { sequence.finish = .cancelled }
            for sequence in active where sequence.request.isCancelled?() == true { sequence.finish = .cancelled }
            let cancelled = queue.filter { $0.finish != nil }
            queue.removeAll { $0.finish != nil }
            retire(cancelled)
            retireFinished()
            // Only the driver lowers `remaining`, so reading it here needs no lock.
            if submission.remaining == 0 { return }
            admit()
            // The submission's sequences are queued or running, and an empty cache admits anything that fits.
            precondition(!active.isEmpty, "\(queue.count) requests wait with no sequence running")
            step()
            retireFinished()
        }
    }

    /// Finished sequences leave the batch: blocks released, reservations returned, results handed over.
    private func retireFinished() {
        let finished = active.filter { $0.finish != nil }
        active.removeAll { $0.finish != nil }
        for sequence in finished {
            if sequence.finish != .stopString, sequence.failure == nil {
                let rest = sequence.text.finish()
                if !rest.isEmpty { sequence.request.onText?(rest) }
            }
            for block in sequence.blocks where kv.release(block) {
                if let prefixes { prefixes.released(block, pool: kv) } else { kv.recycle(block) }
            }
            sequence.blocks = []
            reserved -= sequence.reservation
            sequence.reservation = 0
        }
        retire(finished)
    }

    /// Hands results to their callers, wakes those whose requests are all done, and publishes the counters.
    private func retire(_ finished: [BatchSequence]) {
        let outcomes = finished.map { $0.outcome() }
        counters.runningSequences = active.count
        counters.kvBytesInUse = (kv.blockCount - kv.freeCount) * kv.blockBytes
        gate.withLock {
            var completed = false
            for (sequence, outcome) in zip(finished, outcomes) {
                sequence.submission.results[sequence.index] = outcome
                sequence.submission.remaining -= 1
                completed = completed || sequence.submission.remaining == 0
            }
            unfinished -= finished.count
            published = counters
            if completed { gate.broadcast() }
        }
    }
}
