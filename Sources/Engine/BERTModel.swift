// BERT encoder (Hugging Face `model_type: bert`), read top-down: weights -> embeddings -> layers -> forward.
//
// Sequences are packed, not padded: a batch is one matrix of all its tokens (sum of lengths x hidden), so
// every projection is one sgemm over the whole batch, and attention runs per sequence and head on that
// sequence's rows alone. This is what a padding mask computes, without the padded rows.
import Foundation
import Kernels
import ModelFiles

/// One transformer layer; Linear weights are packed once for the GEMM micro-kernel (from PyTorch's [out, in]).
struct BERTLayer: Sendable {
    /// Query, key and value stacked: [3 * hidden, hidden], one product for all three.
    var qkvWeight: PackedMatrix
    var qkvBias: [Float]
    var attentionOutputWeight: PackedMatrix
    var attentionOutputBias: [Float]
    var attentionNormGamma: [Float]
    var attentionNormBeta: [Float]
    var intermediateWeight: PackedMatrix
    var intermediateBias: [Float]
    var outputWeight: PackedMatrix
    var outputBias: [Float]
    var outputNormGamma: [Float]
    var outputNormBeta: [Float]
}

/// Reads tensors under a name prefix, with the shape checked (candle's `vb.pp("encoder")`).
struct BERTWeightScope {
    let checkpoint: SafetensorsCheckpoint
    let prefix: String

    func scoped(_ name: String) -> BERTWeightScope {
        BERTWeightScope(checkpoint: checkpoint, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
    }

    func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
        try checkpoint.floats(prefix.isEmpty ? name : "\(prefix).\(name)", expectedShape: shape)
    }
}

public final class BERTModel: Sendable {
    public let config: BertConfig
    /// How the Linear weights are stored for the products (activations stay FP32 everywhere else).
    public let weightPrecision: PackedMatrix.Precision
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let tokenTypeEmbeddings: [Float]
    let embeddingNormGamma: [Float]
    let embeddingNormBeta: [Float]
    let layers: [BERTLayer]

    /// Loads the weights; names may carry a `bert.` prefix (BertForXxx checkpoints) or not (BertModel).
    /// `weightPrecision` bfloat16 needs AVX-512 BF16 (`PackedMatrix.Precision.isSupported`).
    public init(config: BertConfig, checkpoint: SafetensorsCheckpoint, weightPrecision: PackedMatrix.Precision = .float32) throws {
        self.config = config
        self.weightPrecision = weightPrecision
        let precision = weightPrecision
        let root = BERTWeightScope(
            checkpoint: checkpoint,
            prefix: checkpoint.contains("embeddings.word_embeddings.weight") || !checkpoint.contains("bert.embeddings.word_embeddings.weight") ? "" : "bert")
        let hidden = config.hiddenSize
        let intermediate = config.intermediateSize
        let embeddings = root.scoped("embeddings")
        wordEmbeddings = try embeddings.tensor("word_embeddings.weight", [config.vocabSize, hidden])
        positionEmbeddings = try embeddings.tensor("position_embeddings.weight", [config.maxPositionEmbeddings, hidden])
        tokenTypeEmbeddings = try embeddings.tensor("token_type_embeddings.weight", [config.typeVocabSize, hidden])
        embeddingNormGamma = try embeddings.tensor("LayerNorm.weight", [hidden])
        embeddingNormBeta = try embeddings.tensor("LayerNorm.bias", [hidden])

        layers = try (0..<config.layerCount).map { index in
            let layer = root.scoped("encoder.layer.\(index)")
            let attention = layer.scoped("attention")
            let projections = attention.scoped("self")
            return BERTLayer(
                qkvWeight: PackedMatrix(try projections.tensor("query.weight", [hidden, hidden])
                    + projections.tensor("key.weight", [hidden, hidden])
                    + projections.tensor("value.weight", [hidden, hidden]), columns: 3 * hidden, depth: hidden, transposed: true, precision: precision),
                qkvBias: try projections.tensor("query.bias", [hidden])
                    + projections.tensor("key.bias", [hidden])
                    + projections.tensor("value.bias", [hidden]),
                attentionOutputWeight: PackedMatrix(try attention.tensor("output.dense.weight", [hidden, hidden]),
                                                    columns: hidden, depth: hidden, transposed: true, precision: precision),
                attentionOutputBias: try attention.tensor("output.dense.bias", [hidden]),
                attentionNormGamma: try attention.tensor("output.LayerNorm.weight", [hidden]),
                attentionNormBeta: try attention.tensor("output.LayerNorm.bias", [hidden]),
                intermediateWeight: PackedMatrix(try layer.tensor("intermediate.dense.weight", [intermediate, hidden]),
                                                 columns: intermediate, depth: hidden, transposed: true, precision: precision),
                intermediateBias: try layer.tensor("intermediate.dense.bias", [intermediate]),
                outputWeight: PackedMatrix(try layer.tensor("output.dense.weight", [hidden, intermediate]),
                                           columns: hidden, depth: intermediate, transposed: true, precision: precision),
                outputBias: try layer.tensor("output.dense.bias", [hidden]),
                outputNormGamma: try layer.tensor("output.LayerNorm.weight", [hidden]),
                outputNormBeta: try layer.tensor("output.LayerNorm.bias", [hidden]))
        }
    }

    // MARK: - forward

    /// Last-layer hidden states of each sequence (token ids, [CLS] ... [SEP]), packed row after row:
    /// sequence i owns rows offsets[i] ..< offsets[i + 1] of the returned [tokens x hidden] matrix.
    public func hiddenStates(_ sequences: [[Int]]) throws -> (states: [Float], offsets: [Int]) {
        var offsets = [0]
        for ids in sequences {
            guard !ids.isEmpty, ids.count <= config.maxPositionEmbeddings else {
                throw EngineError.sequenceLength(ids.count, maximum: config.maxPositionEmbeddings)
            }
            if let bad = ids.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw EngineError.tokenOutOfRange(bad, vocabularySize: config.vocabSize)
            }
            offsets.append(offsets.last! + ids.count)
        }
        let tokens = offsets.last!
        let hidden = config.hiddenSize
        var states = [Float](repeating: 0, count: tokens * hidden)
        guard tokens > 0 else { return (states, offsets) }
        states.withUnsafeMutableBufferPointer { buffer in
            embed(sequences, into: buffer.baseAddress!)
            var scratch = BERTScratch(tokens: tokens, longest: sequences.map(\.count).max()!, config: config)
            defer { scratch.deallocate() }
            for layer in layers {
                forward(layer, hidden: buffer.baseAddress!, offsets: offsets, scratch: scratch)
            }
        }
        return (states, offsets)
    }

    /// Word + position + token type 0, then LayerNorm.
    private func embed(_ sequences: [[Int]], into output: UnsafeMutablePointer<Float>) {
        let hidden = config.hiddenSize
        wordEmbeddings.withUnsafeBufferPointer { words in
            positionEmbeddings.withUnsafeBufferPointer { positions in
                tokenTypeEmbeddings.withUnsafeBufferPointer { types in
                    var row = 0
                    for ids in sequences {
                        for (position, id) in ids.enumerated() {
                            let out = output + row * hidden
                            let word = words.baseAddress! + id * hidden
                            let place = positions.baseAddress! + position * hidden
                            for j in 0..<hidden { out[j] = word[j] + place[j] + types[j] }
                            row += 1
                        }
                    }
                }
            }
        }
        BERTKernels.layerNorm(output, rows: sequences.reduce(0) { $0 + $1.count }, width: hidden,
                              gamma: embeddingNormGamma, beta: embeddingNormBeta, epsilon: config.layerNormEpsilon)
    }

    /// One post-norm layer: attention, add & norm, GELU feed-forward, add & norm; `hidden` is updated in place.
    private func forward(_ layer: BERTLayer, hidden x: UnsafeMutablePointer<Float>, offsets: [Int], scratch: BERTScratch) {
        let tokens = offsets.last!
        let width = config.hiddenSize
        let heads = config.headCount
        let headSize = config.headDimension
        let epsilon = config.layerNormEpsilon

        GEMM.multiply(m: tokens, a: x, b: layer.qkvWeight, c: scratch.qkv)
        BERTKernels.addBias(scratch.qkv, rows: tokens, width: 3 * width, bias: layer.qkvBias)

        let scale = 1 / Float(headSize).squareRoot()
        for sequence in 0..<(offsets.count - 1) {
            let start = offsets[sequence]
            SequenceAttention.run(qkv: scratch.qkv + start * 3 * width, length: offsets[sequence + 1] - start, heads: heads,
                                  headSize: headSize, scale: scale, context: scratch.context + start * width,
                                  scratch: scratch.attention)
        }

        // Residual first, then sgemm accumulates onto it (beta 1); the bias goes in with the norm.
        scratch.attended.update(from: x, count: tokens * width)
        GEMM.multiply(m: tokens, a: scratch.context, b: layer.attentionOutputWeight, c: scratch.attended, beta: 1)
        BERTKernels.layerNorm(scratch.attended, rows: tokens, width: width, gamma: layer.attentionNormGamma,
                              beta: layer.attentionNormBeta, epsilon: epsilon, addBias: layer.attentionOutputBias)

        let intermediate = config.intermediateSize
        GEMM.multiply(m: tokens, a: scratch.attended, b: layer.intermediateWeight, c: scratch.intermediate)
        BERTKernels.gelu(scratch.intermediate, rows: tokens, width: intermediate, bias: layer.intermediateBias)

        x.update(from: scratch.attended, count: tokens * width)
        GEMM.multiply(m: tokens, a: scratch.intermediate, b: layer.outputWeight, c: x, beta: 1)
        BERTKernels.layerNorm(x, rows: tokens, width: width, gamma: layer.outputNormGamma,
                              beta: layer.outputNormBeta, epsilon: epsilon, addBias: layer.outputBias)
    }
}

/// Buffers for one batch, allocated once and reused by every layer.
struct BERTScratch {
    let qkv: UnsafeMutablePointer<Float>
    let attention: UnsafeMutablePointer<Float>
    let context: UnsafeMutablePointer<Float>
    let attended: UnsafeMutablePointer<Float>
    let intermediate: UnsafeMutablePointer<Float>

    init(tokens: Int, longest: Int, config: BertConfig) {
        qkv = .allocate(capacity: tokens * 3 * config.hiddenSize)
        attention = .allocate(capacity: SequenceAttention.scratchCount(longest: longest, headSize: config.headDimension))
        context = .allocate(capacity: tokens * config.hiddenSize)
        attended = .allocate(capacity: tokens * config.hiddenSize)
        intermediate = .allocate(capacity: tokens * config.intermediateSize)
    }

    mutating func deallocate() {
        for buffer in [qkv, attention, context, attended, intermediate] { buffer.deallocate() }
    }
}
