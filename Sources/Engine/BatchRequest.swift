// What the batch engine takes and reports: requests with their own sampling settings, stops, limits and
// cancellation; the engine's bounds; counters for benchmarks.
import Constraints
import Foundation
import Kernels

public struct BatchRequest: Sendable {
    public var promptIDs: [Int]
    public var settings: SamplingSettings
    /// Receives the text as it is decoded (whole characters only), on the thread driving the engine, which
    /// may be another caller's; always before the request's `run` returns.
    public var onText: (@Sendable (String) -> Void)?
    /// Asked before every step, on the driving thread; true ends the request with `FinishReason.cancelled`.
    public var isCancelled: (@Sendable () -> Bool)?
    /// Only text this grammar accepts is generated; nil leaves the output free.
    public var constraint: Grammar?
    /// Decoding goes on past end-of-sequence tokens, to the token limit (benchmarks measure fixed lengths this way,
    /// as llama.cpp's and vLLM's `ignore_eos` do).
    public var ignoresEndOfSequence = false

    public init(promptIDs: [Int], settings: SamplingSettings = .greedy, constraint: Grammar? = nil,
                onText: (@Sendable (String) -> Void)? = nil, isCancelled: (@Sendable () -> Bool)? = nil) {
        self.promptIDs = promptIDs
        self.settings = settings
        self.constraint = constraint
        self.onText = onText
        self.isCancelled = isCancelled
    }
}

public struct BatchOptions: Sendable, Equatable {
    /// Most sequences decoding together; more requests wait in a queue.
    public var maxSequences: Int
    /// Bound on the KV cache; requests wait while the cache cannot hold their prompt and token limit. Nil sizes it
    /// from the model and the machine (`KVMemoryBound.automatic`).
    public var kvMemoryBytes: Int?
    public var kvPrecision: KVPrecision
    /// Positions per KV block (the unit of sharing).
    public var blockTokens: Int
    /// Prompt blocks kept for reuse while no sequence holds them (least recently used out); 0 disables
    /// the prefix cache.
    public var prefixCacheBlocks: Int
    /// Most prompt tokens one step processes besides the decoding sequences' tokens.
    public var stepTokens: Int
    /// Activations of the generated tokens' products and of the output head: int8 (fastest) or float (closest to a
    /// float reference). Float makes the prompt tokens float too.
    public var precision: ActivationPrecision
    /// Activations of the prompt tokens' products: float (read as precisely as a float prefill), bf16 (weights and
    /// activations rounded to bfloat16, FP32 sums) or int8 (the packed 8-bit products, 2-3x faster prompts on K-quant
    /// files; logits move as int8 decoding's do).
    public var promptPrecision: PromptPrecision

    public init(maxSequences: Int = 16, kvMemoryBytes: Int? = nil, kvPrecision: KVPrecision = .f32,
                blockTokens: Int = 16, prefixCacheBlocks: Int = 4096, stepTokens: Int = 256, precision: ActivationPrecision = .int8,
                promptPrecision: PromptPrecision = .float) {
        self.precision = precision
        self.promptPrecision = promptPrecision
        self.maxSequences = max(1, maxSequences)
        self.kvMemoryBytes = kvMemoryBytes
        self.kvPrecision = kvPrecision
        self.blockTokens = max(1, blockTokens)
        self.prefixCacheBlocks = max(0, prefixCacheBlocks)
        self.stepTokens = max(1, stepTokens)
    }
}

public struct BatchStatistics: Sendable, Equatable {
    public var steps = 0
    /// Token rows run through the model (prompt and generated).
    public var rows = 0
    public var promptTokens = 0
    /// Prompt tokens whose KV came from the prefix cache instead of being computed.
    public var reusedPromptTokens = 0
    public var generatedTokens = 0
    public var mostSequences = 0
    /// Bytes one cached position takes (keys and values of every layer).
    public var kvBytesPerToken = 0
    /// KV memory touched so far (the high-water mark of blocks in use).
    public var kvBytesTouched = 0
    /// Sequences in the batch at the last step, and KV memory held then (running sequences and cached prefixes).
    public var runningSequences = 0
    public var kvBytesInUse = 0
    /// The KV memory bound.
    public var kvBytesCapacity = 0

    public init() {}
}
