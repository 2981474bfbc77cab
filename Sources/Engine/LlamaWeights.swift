// The weights of a Llama-family decoder, read in place from the model file and shape-checked at load.
import Kernels
import ModelFiles

/// Where weights come from: one architecture file serves every format through this.
public protocol WeightSource {
    var path: String { get }
    /// What owns the bytes the matrices point into (a mapped file); models keep it alive.
    var storage: AnyObject { get }
    /// How the checkpoint pairs the dimensions RoPE rotates for a family (GGUF permutes q/k to adjacent pairs for
    /// Llama-style families only).
    func ropeStyle(for architecture: DecoderArchitecture) -> RoPEStyle
    func matrix(_ name: String, rows: Int, columns: Int) throws(EngineError) -> WeightMatrix
    func vector(_ name: String, count: Int) throws(EngineError) -> [Float]
    func has(_ name: String) -> Bool
    /// Lets the bytes behind `matrix` leave memory (its values are packed elsewhere); a no-op by default.
    func releasePages(of matrix: WeightMatrix)
}

extension WeightSource {
    public func releasePages(of matrix: WeightMatrix) {}

    /// `matrix` with rows packed for products where its type has a layout, the file's pages then released.
    func packed(_ matrix: WeightMatrix) -> WeightMatrix {
        let packed = matrix.packedForProducts()
        if packed.packed != nil { releasePages(of: matrix) }
        return packed
    }
}

/// Names of the Llama tensors in one checkpoint format.
public struct LlamaTensorNames: Sendable {
    public var embedding: String
    public var outputNorm: String
    public var output: String
    public var layer: @Sendable (Int, LayerTensor) -> String
    /// Hugging Face names, which some families rename (`DecoderArchitecture.huggingFaceRenames`).
    public var isHuggingFace = false

    /// The bias beside a weight (`blk.0.attn_norm.weight` -> `blk.0.attn_norm.bias`).
    static func bias(of weight: String) -> String { String(weight.dropLast(".weight".count)) + ".bias" }

    /// These names with a family's renames applied.
    func adapted(to architecture: DecoderArchitecture) -> LlamaTensorNames {
        guard isHuggingFace, !architecture.huggingFaceRenames.isEmpty else { return self }
        var adapted = self
        let base = layer, renames = architecture.huggingFaceRenames
        adapted.layer = { index, tensor in renames[tensor].map { "model.layers.\(index).\($0)" } ?? base(index, tensor) }
        return adapted
    }

    public enum LayerTensor: String, Sendable, CaseIterable {
        case attentionNorm, query, key, value, attentionOutput, ffnNorm, gate, up, down
        case queryBias, keyBias, valueBias, queryNorm, keyNorm
        case fusedQKV, fusedGateUp
        case postAttentionNorm, postFFNNorm
    }

    /// llama.cpp's names (`blk.3.attn_q.weight`).
    public static let gguf = LlamaTensorNames(
        embedding: "token_embd.weight", outputNorm: "output_norm.weight", output: "output.weight",
        layer: { index, tensor in
            let suffix = switch tensor {
            case .attentionNorm: "attn_norm.weight"
            case .query: "attn_q.weight"
            case .key: "attn_k.weight"
            case .value: "attn_v.weight"
            case .attentionOutput: "attn_output.weight"
            case .ffnNorm: "ffn_norm.weight"
            case .gate: "ffn_gate.weight"
            case .up: "ffn_up.weight"
            case .down: "ffn_down.weight"
            case .queryBias: "attn_q.bias"
            case .keyBias: "attn_k.bias"
            case .valueBias: "attn_v.bias"
            case .queryNorm: "attn_q_norm.weight"
            case .keyNorm: "attn_k_norm.weight"
            case .fusedQKV: "attn_qkv.weight"
            case .fusedGateUp: "ffn_up.weight"
            case .postAttentionNorm: "post_attention_norm.weight"
            case .postFFNNorm: "post_ffw_norm.weight"
            }
            return "blk.\(index).\(suffix)"
        })

    /// Hugging Face names (`model.layers.3.self_attn.q_proj.weight`).
    public static let huggingFace = LlamaTensorNames(
        embedding: "model.embed_tokens.weight", outputNorm: "model.norm.weight", output: "lm_head.weight",
        layer: { index, tensor in
            let suffix = switch tensor {
            case .attentionNorm: "input_layernorm.weight"
            case .query: "self_attn.q_proj.weight"
            case .key: "self_attn.k_proj.weight"
            case .value: "self_attn.v_proj.weight"
            case .attentionOutput: "self_attn.o_proj.weight"
            case .ffnNorm: "post_attention_layernorm.weight"
            case .gate: "mlp.gate_proj.weight"
            case .up: "mlp.up_proj.weight"
            case .down: "mlp.down_proj.weight"
            case .queryBias: "self_attn.q_proj.bias"
            case .keyBias: "self_attn.k_proj.bias"
            case .valueBias: "self_attn.v_proj.bias"
            case .queryNorm: "self_attn.q_norm.weight"
            case .keyNorm: "self_attn.k_norm.weight"
            case .fusedQKV: "self_attn.qkv_proj.weight"
            case .fusedGateUp: "mlp.gate_up_proj.weight"
            case .postAttentionNorm: "post_attention_layernorm.weight"
            case .postFFNNorm: "post_feedforward_layernorm.weight"
            }
            return "model.layers.\(index).\(suffix)"
        }, isHuggingFace: true)
}

public struct LlamaLayerWeights: @unchecked Sendable {
    public let attentionNorm: [Float]
    public let query: WeightMatrix
    public let key: WeightMatrix
    public let value: WeightMatrix
    public let attentionOutput: WeightMatrix
    public let ffnNorm: [Float]
    /// SwiGLU's gate; nil for a GELU MLP.
    public let gate: WeightMatrix?
    public let up: WeightMatrix
    public let down: WeightMatrix
    /// LayerNorm biases of the two norms, the attention output's and the MLP's products' biases (StarCoder2).
    public let attentionNormBias: [Float]?
    public let ffnNormBias: [Float]?
    public let attentionOutputBias: [Float]?
    public let upBias: [Float]?
    public let downBias: [Float]?
    /// Added to the q, k and v projections (models with attention biases).
    public let biases: (query: [Float], key: [Float], value: [Float])?
    /// Each query and key head's RMSNorm weights (models with q/k norm).
    public let headNorms: (query: [Float], key: [Float])?
    /// Norms of the attention and MLP outputs before the residual adds (Gemma 2).
    public let postNorms: (attention: [Float], ffn: [Float])?
}

public struct LlamaWeights: @unchecked Sendable {
    public let embedding: WeightMatrix
    public let layers: [LlamaLayerWeights]
    public let outputNorm: [Float]
    /// The output head: its own matrix, or the embedding when tied.
    public let output: WeightMatrix

    /// The output norm's LayerNorm bias (StarCoder2).
    public let outputNormBias: [Float]?

    public init(config c: LlamaConfiguration, source: some WeightSource, names: LlamaTensorNames) throws(EngineError) {
        let names = names.adapted(to: c.architecture)
        embedding = try source.matrix(names.embedding, rows: c.vocabularySize, columns: c.hiddenSize)
        // Gemma's Hugging Face norms scale by 1 + w; its GGUFs already hold 1 + w.
        let offset = names.isHuggingFace ? c.architecture.huggingFaceNormOffset : 0
        func norm(_ name: String) throws(EngineError) -> [Float] {
            let weight = try source.vector(name, count: c.hiddenSize)
            return offset == 0 ? weight : weight.map { $0 + offset }
        }
        var layers: [LlamaLayerWeights] = []
        for i in 0..<c.layerCount {
            func name(_ t: LlamaTensorNames.LayerTensor) -> String { names.layer(i, t) }
            func bias(_ t: LlamaTensorNames.LayerTensor, count: Int, if present: Bool) throws(EngineError) -> [Float]? {
                present ? try source.vector(LlamaTensorNames.bias(of: name(t)), count: count) : nil
            }
            // Products read packed rows where this machine and type have them; the file's pages then go.
            func matrix(_ t: LlamaTensorNames.LayerTensor, rows: Int, columns: Int) throws(EngineError) -> WeightMatrix {
                source.packed(try source.matrix(name(t), rows: rows, columns: columns))
            }
            // In the file's order of a layer, so the first missing or misshapen tensor is the one an error names.
            let attentionNorm = try norm(name(.attentionNorm))
            let (query, key, value, gate, up) = try Self.projections(c, source: source, layer: i, names: names)
            layers.append(LlamaLayerWeights(
                attentionNorm: attentionNorm,
                query: query, key: key, value: value,
                attentionOutput: try matrix(.attentionOutput, rows: c.hiddenSize, columns: c.queryDimension),
                ffnNorm: try norm(name(.ffnNorm)),
                gate: gate, up: up,
                down: try matrix(.down, rows: c.hiddenSize, columns: c.intermediateSize),
                attentionNormBias: try bias(.attentionNorm, count: c.hiddenSize, if: c.features.layerNorm),
                ffnNormBias: try bias(.ffnNorm, count: c.hiddenSize, if: c.features.layerNorm),
                attentionOutputBias: try bias(.attentionOutput, count: c.hiddenSize, if: c.features.outputBiases),
                upBias: try bias(.up, count: c.intermediateSize, if: c.features.outputBiases),
                downBias: try bias(.down, count: c.hiddenSize, if: c.features.outputBiases),
                biases: c.features.attentionBiases
                    ? (try source.vector(name(.queryBias), count: c.queryDimension), try source.vector(name(.keyBias), count: c.kvDimension),
                       try source.vector(name(.valueBias), count: c.kvDimension))
                    : nil,
                headNorms: c.features.queryKeyNorm
                    ? (try source.vector(name(.queryNorm), count: c.headDimension).map { $0 + offset },
                       try source.vector(name(.keyNorm), count: c.headDimension).map { $0 + offset })
                    : nil,
                postNorms: c.features.sandwichNorms ? (try norm(name(.postAttentionNorm)), try norm(name(.postFFNNorm))) : nil))
        }
        self.layers = layers
        outputNorm = try norm(names.outputNorm)
        outputNormBias = c.features.layerNorm ? try source.vector(LlamaTensorNames.bias(of: names.outputNorm), count: c.hiddenSize) : nil
        // A tied config wins over a stored lm_head (PyTorch checkpoints of tied models keep both names).
        output = !c.tiedEmbeddings && source.has(names.output)
            ? source.packed(try source.matrix(names.output, rows: c.vocabularySize, columns: c.hiddenSize))
            : source.packed(embedding)
    }

    /// A layer's q, k, v, gate and up matrices: each its own tensor, or parts of the fused tensors (Phi-3), packed for
    /// products where the type has a layout.
    static func projections(_ c: LlamaConfiguration, source: some WeightSource, layer i: Int, names: LlamaTensorNames) throws(EngineError)
        -> (WeightMatrix, WeightMatrix, WeightMatrix, WeightMatrix?, WeightMatrix) {
        func matrix(_ t: LlamaTensorNames.LayerTensor, rows: Int) throws(EngineError) -> WeightMatrix {
            try source.matrix(names.layer(i, t), rows: rows, columns: c.hiddenSize)
        }
        let q = c.queryDimension, kv = c.kvDimension, ffn = c.intermediateSize
        guard c.features.fusedTensors else {
            return (source.packed(try matrix(.query, rows: q)), source.packed(try matrix(.key, rows: kv)),
                    source.packed(try matrix(.value, rows: kv)),
                    c.features.mlp.gated ? source.packed(try matrix(.gate, rows: ffn)) : nil, source.packed(try matrix(.up, rows: ffn)))
        }
        let qkv = try matrix(.fusedQKV, rows: q + 2 * kv), gateUp = try matrix(.fusedGateUp, rows: 2 * ffn)
        return (source.packed(qkv.rows(0, count: q)), source.packed(qkv.rows(q, count: kv)), source.packed(qkv.rows(q + kv, count: kv)),
                source.packed(gateUp.rows(0, count: ffn)), source.packed(gateUp.rows(ffn, count: ffn)))
    }

    /// Counts of parameters by tensor type (for `model info`).
    public var parameterCounts: [TensorType: Int] {
        var counts: [TensorType: Int] = [:]
        func add(_ m: WeightMatrix) { counts[m.type, default: 0] += m.rows * m.columns }
        add(embedding)
        for layer in layers {
            for m in [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down].compactMap({ $0 }) { add(m) }
            let vectors = [layer.attentionNormBias, layer.ffnNormBias, layer.attentionOutputBias, layer.upBias, layer.downBias]
            counts[.f32, default: 0] += vectors.compactMap { $0?.count }.reduce(0, +)
            counts[.f32, default: 0] += layer.attentionNorm.count + layer.ffnNorm.count
            if let biases = layer.biases { counts[.f32, default: 0] += biases.query.count + biases.key.count + biases.value.count }
            if let norms = layer.headNorms { counts[.f32, default: 0] += norms.query.count + norms.key.count }
        }
        counts[.f32, default: 0] += outputNorm.count
        if output.data != embedding.data { add(output) }
        return counts
    }
}

/// GGUF files as a weight source.
public struct GGUFWeightSource: WeightSource {
    public let file: GGUFFile
    public init(file: GGUFFile) { self.file = file }

    public var path: String { file.url.path }
    public var storage: AnyObject { file }
    public func ropeStyle(for architecture: DecoderArchitecture) -> RoPEStyle { architecture.ggufRopeStyle }
    public func has(_ name: String) -> Bool { file.tensor(named: name) != nil }

    public func matrix(_ name: String, rows: Int, columns: Int) throws(EngineError) -> WeightMatrix {
        do { return try file.matrix(name, rows: rows, columns: columns) } catch { throw .modelFile(error.localizedDescription) }
    }

    public func vector(_ name: String, count: Int) throws(EngineError) -> [Float] {
        do { return try file.vector(name, count: count) } catch { throw .modelFile(error.localizedDescription) }
    }

    public func releasePages(of matrix: WeightMatrix) { file.releasePages(of: matrix) }
}
