// Continuous batching: requests queue, join the running batch when a slot and KV memory are free, and
// leave it when they finish; every step runs one forward pass over one row per decoding sequence plus a
// share of the prompts still being read. Prompt prefixes already in the KV cache are reused (PrefixCache).
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
    public private(set) var statistics = BatchStatistics()
    /// One `run` at a time: a run owns the cache, the buffers and the queue.
    private let running = NSLock()

    public init(model: LlamaModel, tokenizer: any Tokenizer, options: BatchOptions = BatchOptions(),
                constraintCache: TokenMatcherCache? = nil) {
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        constraints = constraintCache ?? TokenMatcherCache(tokenizer: tokenizer)
        let c = model.config
        kv = KVBlockPool(layerCount: c.layerCount, kvDimension: c.kvDimension, blockTokens: options.blockTokens,
                         precision: options.kvPrecision, maxBytes: options.kvMemoryBytes)
        prefixes = options.prefixCacheBlocks > 0 ? PrefixCache(capacity: options.prefixCacheBlocks) : nil
        forward = BatchForward(model: model, kv: kv, maxRows: options.stepTokens + options.maxSequences,
                               maxLogitRows: options.maxSequences)
        tableCapacity = options.maxSequences * ((c.contextLength + options.blockTokens - 1) / options.blockTokens)
        table = .allocate(capacity: tableCapacity)
        statistics.kvBytesPerToken = kv.bytesPerToken
    }

    deinit { table.deallocate() }

    /// Bytes one cached position takes.
    public var kvBytesPerToken: Int { kv.bytesPerToken }

    /// Runs every request to its end; one result per request, in order. A request that cannot run (empty,
    /// too long, larger than the KV bound) fails alone; the others are not disturbed.
    public func run(_ requests: [BatchRequest]) -> [Result<GenerationResult, EngineError>] {
        running.lock()
        defer { running.unlock() }
        var results = [Result<GenerationResult, EngineError>?](repeating: nil, count: requests.count)
        var queue: [BatchSequence] = []
        for (index, request) in requests.enumerated() {
            if let error = check(request) { results[index] = .failure(error) } else { queue.append(BatchSequence(index: index, request: request, constraints: constraints)) }
        }
        var active: [BatchSequence] = []
        while !queue.isEmpty || !active.isEmpty {
            for sequence in queue where sequence.request.isCancelled?() == true { sequence.finish = .cancelled }
            for sequence in active where sequence.request.isCancelled?() == true { sequence.finish = .cancelled }
            for sequence in queue where sequence.finish != nil { results[sequence.index] = sequence.outcome() }
            queue.removeAll { $0.finish != nil }
            retire(&active, into: &results)
            admit(from: &queue, into: &active)
            guard !active.isEmpty else {
                // Nothing could join: only possible when the queue is empty too (an empty cache admits anything that fits).
                precondition(queue.isEmpty, "\(queue.count) requests wait with no sequence running")
                break
            }
            step(active)
            retire(&active, into: &results)
        }
        return results.map { $0! }
    }

    private func check(_ request: BatchRequest) -> EngineError? {
        let prompt = request.promptIDs.count, contextLength = model.config.contextLength
        if prompt == 0 { return .emptyPrompt }
        if prompt >= contextLength { return .promptTooLong(tokens: prompt, contextLength: contextLength) }
        if let bad = request.promptIDs.first(where: { $0 < 0 || $0 >= model.config.vocabularySize }) {
            return .tokenizer("token id \(bad) is outside the vocabulary of \(model.config.vocabularySize)")
        }
        let needed = blocksNeeded(request)
        if needed > kv.blockCount {
            return .kvCacheTooSmall(neededBytes: needed * kv.blockBytes, boundBytes: kv.blockCount * kv.blockBytes)
        }
        return nil
    }

    /// Blocks for the prompt and every token the request may generate.
    private func blocksNeeded(_ request: BatchRequest) -> Int {
        let positions = min(model.config.contextLength, request.promptIDs.count + max(request.settings.maxTokens, 0))
        return (positions + kv.blockTokens - 1) / kv.blockTokens
    }

    // MARK: - Admission

    private var reserved = 0

    /// Moves queued requests into the batch while there is a slot and KV memory for them.
    private func admit(from queue: inout [BatchSequence], into active: inout [BatchSequence]) {
        var waiting: [BatchSequence] = []
        for sequence in queue {
            guard active.count < options.maxSequences else {
                waiting.append(sequence)
                continue
            }
            sequence.admitted = DispatchTime.now().uptimeNanoseconds
            if sequence.request.settings.maxTokens <= 0 {
                sequence.finish = .maxTokens
                active.append(sequence)
                continue
            }
            let matched = matchPrefix(sequence)
            let needed = blocksNeeded(sequence.request) - matched.count
            let blockedByPrefill = prefixComputedByAnother(sequence, matchedBlocks: matched.count, active: active)
            if blockedByPrefill || needed > kv.freeCount + (prefixes?.idleCount ?? 0) - reserved {
                for block in matched where kv.release(block) { prefixes?.released(block, pool: kv) }
                waiting.append(sequence)
                continue
            }
            sequence.blocks = matched
            sequence.shared = matched.count
            sequence.registered = matched.count
            sequence.position = matched.count * kv.blockTokens
            sequence.reservation = needed
            reserved += needed
            statistics.promptTokens += sequence.prompt.count
            statistics.reusedPromptTokens += sequence.position
            active.append(sequence)
        }
        queue = waiting
        statistics.mostSequences = max(statistics.mostSequences, active.count)
    }

    /// Cached blocks that start the prompt, retained; at most up to the last prompt token, whose logits
    /// must be computed.
    private func matchPrefix(_ sequence: BatchSequence) -> [Int32] {
        guard let prefixes else { return [] }
        let bt = kv.blockTokens, prompt = sequence.prompt
        var matched: [Int32] = []
        var parent = PrefixCache.root.block
        while (matched.count + 1) * bt <= prompt.count - 1 {
            let start = matched.count * bt
            guard let block = prefixes.lookup(parent: parent, tokens: prompt[start..<start + bt], pool: kv) else { break }
            matched.append(block)
            parent = block
        }
        return matched
    }

    /// True when a sequence still reading its prompt shares this prompt's next block: waiting for it
    /// turns that block into a cache hit (n samples of one prompt, a recipe's shared instructions).
    private func prefixComputedByAnother(_ sequence: BatchSequence, matchedBlocks: Int, active: [BatchSequence]) -> Bool {
        guard prefixes != nil else { return false }
        let end = (matchedBlocks + 1) * kv.blockTokens, prompt = sequence.prompt
        guard end <= prompt.count - 1 else { return false }
        return active.contains { other in
            other.isPrefilling && other.finish == nil && other.prompt.count > end && other.prompt[..<end] == prompt[..<end]
        }
    }

    // MARK: - One step

    private func step(_ active: [BatchSequence]) {
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
                                     logitsIndex: samples ? logitRows : nil, isPrompt: p < sequence.prompt.count))
                if samples { logitRows += 1 }
            }
            fed.append((sequence, count))
        }
        guard !rows.isEmpty else { return }
        forward.run(rows, table: table)
        statistics.steps += 1
        statistics.rows += rows.count

        var logitsIndex = 0
        for (sequence, count) in fed {
            sequence.position += count
            registerPromptBlocks(sequence)
            guard !sequence.isPrefilling, sequence.position == sequence.length else { continue }
            let vocabulary = model.config.vocabularySize
            let logits = UnsafeBufferPointer(start: forward.logits + logitsIndex * vocabulary, count: vocabulary)
            logitsIndex += 1
            sample(sequence, logits)
        }
        statistics.kvBytesTouched = kv.touchedBytes
    }

    private func sample(_ sequence: BatchSequence, _ logits: UnsafeBufferPointer<Float>) {
        if sequence.firstToken == nil { sequence.firstToken = DispatchTime.now().uptimeNanoseconds }
        let next: Int
        do {
            next = try sequence.constrained.sample(logits, with: &sequence.sampler)
        } catch {
            // This request fails alone; the batch goes on.
            sequence.failure = error
            sequence.finish = .endOfSequence
            return
        }
        sequence.ids.append(next)
        statistics.generatedTokens += 1
        if tokenizer.endIDs.contains(next) {
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

    /// Finished sequences leave the batch: results recorded, blocks released, reservations returned.
    private func retire(_ active: inout [BatchSequence], into results: inout [Result<GenerationResult, EngineError>?]) {
        for sequence in active where sequence.finish != nil {
            if sequence.finish != .stopString, sequence.failure == nil {
                let rest = sequence.text.finish()
                if !rest.isEmpty { sequence.request.onText?(rest) }
            }
            results[sequence.index] = sequence.outcome()
            for block in sequence.blocks where kv.release(block) {
                if let prefixes { prefixes.released(block, pool: kv) } else { kv.recycle(block) }
            }
            sequence.blocks = []
            reserved -= sequence.reservation
            sequence.reservation = 0
        }
        active.removeAll { $0.finish != nil }
    }
}
