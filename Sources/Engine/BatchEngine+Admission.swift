// Which requests may run: refused outright (empty, too long, larger than the KV bound), or admitted into
// the batch when a slot and KV memory are free, reusing cached prompt prefixes.
import Foundation

extension BatchEngine {
    /// Why a request cannot run at all; nil when it can. Reads only constants, so callers check their own.
    func check(_ request: BatchRequest) -> EngineError? {
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

    /// Moves queued requests into the batch while there is a slot and KV memory for them (driver only).
    func admit() {
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
            counters.promptTokens += sequence.prompt.count
            counters.reusedPromptTokens += sequence.position
            active.append(sequence)
        }
        queue = waiting
        counters.mostSequences = max(counters.mostSequences, active.count)
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
}
