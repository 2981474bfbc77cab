// Continuous batching: requests queue, join the running batch when a slot and KV memory are free, and
// leave it when they finish; every step runs one forward pass over one row per decoding sequence plus a
// share of the prompts still being read. Prompt prefixes already in the KV cache are reused (PrefixCache).
// Callers on any thread join one running batch (BatchEngine+Driver); admission is in BatchEngine+Admission.
import Constraints
import Foundation
import Tokenizers

public final class BatchEngine: @unchecked Sendable {
    public let model: LlamaModel
    public let tokenizer: any Tokenizer
    public let options: BatchOptions
    /// Token masks of constrained requests.
    public let constraints: TokenMatcherCache
    let kv: KVBlockPool
    let prefixes: PrefixCache?
    private let forward: BatchForward
    private let table: UnsafeMutablePointer<Int32>
    private let tableCapacity: Int

    // MARK: Driver state: touched only by the caller currently driving (see BatchEngine+Driver).
    var queue: [BatchSequence] = []
    var active: [BatchSequence] = []
    /// KV blocks promised to admitted sequences and not yet taken.
    var reserved = 0
    var counters = BatchStatistics()

    // MARK: Shared state, under `gate`.
    let gate = NSCondition()
    /// Sequences handed in by callers, picked up by the driver before its next step.
    var arrivals: [BatchSequence] = []
    /// Whether some caller is running steps.
    var driving = false
    /// Requests handed in and not finished yet, across callers.
    var unfinished = 0
    /// The driver's counters as of its last step.
    var published = BatchStatistics()

    public init(model: LlamaModel, tokenizer: any Tokenizer, options: BatchOptions = BatchOptions(),
                constraintCache: TokenMatcherCache? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        constraints = constraintCache ?? TokenMatcherCache(tokenizer: tokenizer)
        let c = model.config
        let bytesPerToken = KVBlockPool.blockBytes(layerCount: c.layerCount, kvDimension: c.kvDimension, blockTokens: 1,
                                                   precision: options.kvPrecision)
        let bound = options.kvMemoryBytes ?? KVMemoryBound.automatic(bytesPerToken: bytesPerToken, contextLength: c.contextLength,
                                                                    maxSequences: options.maxSequences)
        kv = KVBlockPool(layerCount: c.layerCount, kvDimension: c.kvDimension, headDimension: c.headDimension, blockTokens: options.blockTokens,
                         precision: options.kvPrecision, maxBytes: bound)
        prefixes = options.prefixCacheBlocks > 0 ? PrefixCache(capacity: options.prefixCacheBlocks) : nil
        forward = BatchForward(model: model, kv: kv, maxRows: options.stepTokens + options.maxSequences,
                               maxLogitRows: options.maxSequences, floatHead: options.precision == .float)
        tableCapacity = options.maxSequences * ((c.contextLength + options.blockTokens - 1) / options.blockTokens)
        table = .allocate(capacity: tableCapacity)
        counters.kvBytesPerToken = kv.bytesPerToken
        counters.kvBytesCapacity = kv.blockCount * kv.blockBytes
        published = counters
    }

    deinit { table.deallocate() }

    /// Bytes one cached position takes.
    public var kvBytesPerToken: Int { kv.bytesPerToken }

    /// Counters as of the last step (any thread may read them while the engine runs).
    public var statistics: BatchStatistics { gate.withLock { published } }

    /// Requests handed in by callers and not finished yet (queued or running).
    public var unfinishedRequests: Int { gate.withLock { unfinished } }

    // MARK: - One step

    /// One forward pass over the running sequences, then a token for each that finished its prompt (driver only).
    func step() {
        var rows: [BatchRow] = []
        var fed: [(BatchSequence, Int)] = []
        var tableUsed = 0, logitRows = 0
        var promptBudget = options.stepTokens
        // Decoding sequences first (one token each), then prompt tokens while the step's budget lasts.
        let order = active.filter { !$0.isPrefilling } + active.filter(\.isPrefilling)
        for sequence in order where sequence.finish == nil {
            let count = sequence.isPrefilling ? min(sequence.prompt.count - sequence.position, promptBudget) : 1
            guard count > 0 else { continue }
            if sequence.isPrefilling { promptBudget -= count }
            let end = sequence.position + count
            while sequence.blocks.count * kv.blockTokens < end { sequence.blocks.append(allocateBlock(for: sequence)) }
            let tableStart = tableUsed
            precondition(tableUsed + sequence.blocks.count <= tableCapacity, "block table overflow")
            for (i, block) in sequence.blocks.enumerated() { table[tableUsed + i] = block }
            tableUsed += sequence.blocks.count
            for p in sequence.position..<end {
                let samples = p == end - 1 && end >= sequence.prompt.count
                rows.append(BatchRow(token: sequence.token(at: p), position: p, tableStart: tableStart,
                                     logitsIndex: samples ? logitRows : nil,
                                     floatActivations: options.precision == .float
                                         || (p < sequence.prompt.count && options.promptPrecision != .int8),
                                     bfloat16: options.precision != .float && p < sequence.prompt.count && options.promptPrecision == .bf16,
                                     prompt: p < sequence.prompt.count))
                if samples { logitRows += 1 }
            }
            fed.append((sequence, count))
        }
        guard !rows.isEmpty else { return }
        forward.run(rows, table: table)
        counters.steps += 1
        counters.rows += rows.count

        var sampling: [BatchSequence] = []
        for (sequence, count) in fed {
            sequence.position += count
            registerPromptBlocks(sequence)
            // The order of the step's logits rows.
            if !sequence.isPrefilling, sequence.position == sequence.length { sampling.append(sequence) }
        }
        for (sequence, next) in zip(sampling, pick(sampling)) { accept(next, for: sequence) }
        counters.kvBytesTouched = kv.touchedBytes
        counters.runningSequences = active.count
        counters.kvBytesInUse = (kv.blockCount - kv.freeCount) * kv.blockBytes
        // Published every step, so a server's metrics see the batch while a long request runs.
        gate.withLock { published = counters }
    }

    /// Each sequence's next token from its row of the step's logits, picked across the pool: a request's
    /// sampler (its seeded generator) and constraint state are its own, and a matcher locks its tables.
    private func pick(_ sequences: [BatchSequence]) -> [Result<Int, EngineError>] {
        let vocabulary = model.config.vocabularySize, logits = forward.logits
        var picks = [Result<Int, EngineError>](repeating: .success(0), count: sequences.count)
        picks.withUnsafeMutableBufferPointer { picks in
            model.pool.parallelFor(sequences.count) { range in
                for i in range {
                    let sequence = sequences[i], row = UnsafeBufferPointer(start: logits + i * vocabulary, count: vocabulary)
                    do throws(EngineError) {
                        picks[i] = .success(try sequence.constrained.sample(row, with: &sequence.sampler))
                    } catch {
                        picks[i] = .failure(error)
                    }
                }
            }
        }
        return picks
    }

    /// Appends a picked token and hands its text to the caller (on the driving thread), or fails the request.
    private func accept(_ picked: Result<Int, EngineError>, for sequence: BatchSequence) {
        if sequence.firstToken == nil { sequence.firstToken = DispatchTime.now().uptimeNanoseconds }
        let next: Int
        switch picked {
        case .success(let id): next = id
        case .failure(let error):
            // This request fails alone; the batch goes on.
            sequence.failure = error
            sequence.finish = .endOfSequence
            return
        }
        sequence.ids.append(next)
        counters.generatedTokens += 1
        if !sequence.request.ignoresEndOfSequence && tokenizer.endIDs.contains(next) {
            sequence.finish = .endOfSequence
            return
        }
        let (piece, stopped) = sequence.text.append(next, from: tokenizer)
        if !piece.isEmpty { sequence.request.onText?(piece) }
        if stopped {
            sequence.finish = .stopString
        } else if sequence.ids.count >= sequence.request.settings.maxTokens {
            sequence.finish = .maxTokens
        } else if sequence.length > model.config.contextLength {
            sequence.finish = .contextFull
        }
    }

    /// Full prompt blocks become findable as soon as their keys and values are stored.
    private func registerPromptBlocks(_ sequence: BatchSequence) {
        guard let prefixes else { return }
        let bt = kv.blockTokens
        while (sequence.registered + 1) * bt <= min(sequence.position, sequence.prompt.count) {
            let b = sequence.registered
            prefixes.insert(sequence.blocks[b], parent: b == 0 ? PrefixCache.root.block : sequence.blocks[b - 1],
                            tokens: sequence.prompt[b * bt..<(b + 1) * bt], pool: kv)
            sequence.registered += 1
        }
    }

    private func allocateBlock(for sequence: BatchSequence) -> Int32 {
        precondition(sequence.reservation > 0, "sequence \(sequence.index) outgrew its KV reservation")
        sequence.reservation -= 1
        reserved -= 1
        if let block = kv.allocate() { return block }
        guard prefixes?.evictOldest(pool: kv) == true, let block = kv.allocate() else {
            preconditionFailure("KV blocks ran out despite the reservation")
        }
        return block
    }
}
