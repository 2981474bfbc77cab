// The Llama-family decoder: RMSNorm, grouped-query attention with RoPE, SwiGLU MLP, tied or separate head.
// Other families are described against it (Architectures/). Its one forward pass is BatchForward's; a session
// here is one sequence run through it by hand.
import Foundation
import Kernels

public final class LlamaModel: @unchecked Sendable {
    public let config: LlamaConfiguration
    public let weights: LlamaWeights
    public let rope: RoPE
    /// The local layers' RoPE when their base differs (Gemma 3).
    public let localRope: RoPE?
    /// Each layer's attention window, nil where the layer sees the whole context (looked up once, not per row).
    let windows: [Int?]
    public let pool: WorkerPool
    /// Keeps the mapped weights alive as long as the model.
    private let storage: AnyObject

    public init(config: LlamaConfiguration, source: some WeightSource, names: LlamaTensorNames, threads: Int) throws(EngineError) {
        self.config = config
        weights = try LlamaWeights(config: config, source: source, names: names)
        storage = source.storage
        let style = source.ropeStyle(for: config.architecture)
        rope = RoPE(headDimension: config.headDimension, rotatedDimension: config.rotaryDimension, theta: config.ropeTheta, style: style,
                    scaling: config.ropeScaling)
        windows = (0..<config.layerCount).map { layer in
            config.localAttention.flatMap { $0.layers.contains(layer) ? $0.window : nil }
        }
        localRope = config.localRopeTheta.map {
            RoPE(headDimension: config.headDimension, rotatedDimension: config.rotaryDimension, theta: $0, style: style)
        }
        pool = WorkerPool(threads: threads)
    }

    /// A fresh sequence that can hold `capacity` tokens. `precision` is what the products of decoded tokens and the
    /// output head use; an int8 head rescores its near-ties with floats. `promptPrecision` is what `process(_:)`'s prompt
    /// tokens use (float unless bf16 or int8 is asked for, and float whenever `precision` is); the reference and embedding
    /// readers (`process(_:logitsAt:)`, hidden states) always read prompts in float.
    public func makeSession(capacity: Int, precision: ActivationPrecision = .int8, promptPrecision: PromptPrecision = .float) -> LlamaSession {
        LlamaSession(model: self, capacity: min(capacity, config.contextLength), precision: precision, promptPrecision: promptPrecision)
    }
}

/// One sequence run through the model by hand, a token or a prompt at a time: a batch of one in the batch engine's
/// forward pass, with its own KV blocks. Tests, benchmarks and the decoder embedder use it; generation goes through
/// the batch engine's token loop.
public final class LlamaSession: @unchecked Sendable {
    public let model: LlamaModel
    public let layerPrecision: ActivationPrecision
    public let promptPrecision: PromptPrecision
    public let capacity: Int
    public private(set) var count = 0
    let kv: KVBlockPool
    let forward: BatchForward
    /// The sequence's block ids, in order: block b holds positions b * blockTokens ..< (b + 1) * blockTokens.
    let table: UnsafeMutablePointer<Int32>
    /// Most logit rows one pass computes.
    static let logitRows = 8

    init(model: LlamaModel, capacity: Int, precision: ActivationPrecision, promptPrecision: PromptPrecision) {
        self.model = model
        self.capacity = capacity
        layerPrecision = precision
        self.promptPrecision = precision == .float ? .float : promptPrecision
        let c = model.config, blockTokens = 16
        let blocks = max(1, (capacity + blockTokens - 1) / blockTokens)
        let bytesPerBlock = KVBlockPool.blockBytes(layerCount: c.layerCount, kvDimension: c.kvDimension, blockTokens: blockTokens,
                                                   precision: .f32)
        kv = KVBlockPool(layerCount: c.layerCount, kvDimension: c.kvDimension, headDimension: c.headDimension, blockTokens: blockTokens, precision: .f32,
                         maxBytes: blocks * bytesPerBlock)
        table = .allocate(capacity: blocks)
        for b in 0..<blocks { table[b] = kv.allocate()! }
        forward = BatchForward(model: model, kv: kv, maxRows: max(1, min(capacity, Self.chunkTokens)), maxLogitRows: Self.logitRows,
                               floatHead: precision == .float)
    }

    deinit { table.deallocate() }

    /// Largest number of prompt tokens one pass takes; longer prompts go in chunks.
    static let chunkTokens = 512

    /// Runs `tokens` through the model from the current position as prompt tokens (at `promptPrecision`); returns the
    /// last token's logits, valid while the session lives and until its next `process` or `decode`.
    @discardableResult
    public func process(_ tokens: [Int]) -> UnsafeBufferPointer<Float> {
        run(tokens, float: promptPrecision != .int8, bfloat16: promptPrecision == .bf16, logitsAt: tokens.isEmpty ? [] : [tokens.count - 1]) { _, _ in }
        return UnsafeBufferPointer(start: forward.logits, count: model.config.vocabularySize)
    }

    /// Appends one generated token (8-bit activations unless the session is float) and returns the logits for the
    /// next, in the session's buffer as `process`.
    public func decode(_ token: Int) -> UnsafeBufferPointer<Float> {
        run([token], float: layerPrecision == .float, prompt: false, logitsAt: [0]) { _, _ in }
        return UnsafeBufferPointer(start: forward.logits, count: model.config.vocabularySize)
    }

    /// Runs `tokens` as prompt tokens and returns the logits after each of `positions` (indices into `tokens`).
    public func process(_ tokens: [Int], logitsAt positions: [Int]) -> [[Float]] {
        let vocabulary = model.config.vocabularySize
        var found: [Int: [Float]] = [:]
        run(tokens, float: true, logitsAt: positions) { index, row in
            found[index] = Array(UnsafeBufferPointer(start: self.forward.logits + row * vocabulary, count: vocabulary))
        }
        return positions.map { found[$0]! }
    }

    /// Runs `tokens` as prompt tokens and returns each one's last hidden state after the output norm.
    public func hiddenStates(_ tokens: [Int]) -> [[Float]] {
        let dim = model.config.hiddenSize
        let hidden = UnsafeMutablePointer<Float>.allocate(capacity: forward.maxRows * dim)
        defer { hidden.deallocate() }
        var states: [[Float]] = []
        run(tokens, float: true, logitsAt: [], finalHidden: hidden) { _, _ in } chunkDone: { rows in
            for r in 0..<rows { states.append(Array(UnsafeBufferPointer(start: hidden + r * dim, count: dim))) }
        }
        return states
    }

    /// Feeds `tokens` in passes of at most `maxRows` rows and `logitRows` logit rows; `logits` sees each asked
    /// position with its row in the pass's logits, `chunkDone` each pass's row count.
    private func run(_ tokens: [Int], float: Bool, bfloat16: Bool = false, prompt: Bool = true, logitsAt positions: [Int], finalHidden: UnsafeMutablePointer<Float>? = nil,
                     logits: (Int, Int) -> Void, chunkDone: (Int) -> Void = { _ in }) {
        precondition(count + tokens.count <= capacity, "\(count + tokens.count) tokens exceed the session's \(capacity)")
        let asked = Set(positions)
        precondition(asked.allSatisfy { tokens.indices.contains($0) }, "logits asked outside the tokens")
        var start = 0
        while start < tokens.count {
            var rows: [BatchRow] = [], wanted: [Int] = []
            var index = start
            while index < tokens.count && rows.count < forward.maxRows && !(asked.contains(index) && wanted.count == Self.logitRows) {
                let sampled = asked.contains(index)
                rows.append(BatchRow(token: tokens[index], position: count + index - start, tableStart: 0,
                                     logitsIndex: sampled ? wanted.count : nil, floatActivations: float, bfloat16: bfloat16,
                                     prompt: prompt))
                if sampled { wanted.append(index) }
                index += 1
            }
            forward.run(rows, table: table, finalHidden: finalHidden)
            for (row, position) in wanted.enumerated() { logits(position, row) }
            count += rows.count
            chunkDone(rows.count)
            start = index
        }
    }
}
