// Random-weight GGUF models of a real model's shape and quantization mix, for benchmarks: the engine reads
// them exactly as it reads the real file, so speed and bytes per token are the real ones.
import Foundation
import Kernels
import ModelFiles

public enum RandomGGUFModel {
    /// Abacus (MiniCPM-2B): 40 layers, hidden 2304, FFN 5760, 36 heads = 36 KV heads, vocabulary 122753.
    public static let abacusShape = LlamaConfiguration(
        hiddenSize: 2304, intermediateSize: 5760, layerCount: 40, headCount: 36, kvHeadCount: 36,
        vocabularySize: 122_753, contextLength: 4096, rmsNormEpsilon: 1e-5, ropeTheta: 10000, tiedEmbeddings: true,
        architecture: .minicpm, embeddingScale: 12, residualScale: 1.4 / Float(40).squareRoot(), logitScale: 9)

    /// The shapes users run most, by the name `bench model-shape` takes (from each model's config.json).
    public static let shapes: [(name: String, config: LlamaConfiguration)] = [
        ("abacus", abacusShape),
        // Qwen2.5-Coder-1.5B: 28 layers, hidden 1536, FFN 8960, 12 heads / 2 KV heads of 128, q/k/v biases, tied head.
        ("qwen2.5-coder-1.5b", LlamaConfiguration(
            hiddenSize: 1536, intermediateSize: 8960, layerCount: 28, headCount: 12, kvHeadCount: 2, vocabularySize: 151_936,
            contextLength: 32768, rmsNormEpsilon: 1e-6, ropeTheta: 1_000_000, tiedEmbeddings: true, architecture: .qwen2)),
        // Qwen2.5-Coder-7B: 28 layers, hidden 3584, FFN 18944, 28 heads / 4 KV heads of 128, q/k/v biases, separate head.
        ("qwen2.5-coder-7b", LlamaConfiguration(
            hiddenSize: 3584, intermediateSize: 18944, layerCount: 28, headCount: 28, kvHeadCount: 4, vocabularySize: 152_064,
            contextLength: 32768, rmsNormEpsilon: 1e-6, ropeTheta: 1_000_000, tiedEmbeddings: false, architecture: .qwen2)),
        // DeepSeek-Coder-1.3B: Llama with 24 layers, hidden 2048, FFN 5504, 16 heads of 128, separate head.
        ("deepseek-coder-1.3b", LlamaConfiguration(
            hiddenSize: 2048, intermediateSize: 5504, layerCount: 24, headCount: 16, kvHeadCount: 16, vocabularySize: 32256,
            contextLength: 16384, rmsNormEpsilon: 1e-6, ropeTheta: 100_000, tiedEmbeddings: false, architecture: .llama)),
    ]

    /// Rows of each (type, row length) drawn from before a tensor is filled; rows are copied from this pool in
    /// a seeded random order, so 1.8 GB are written in seconds rather than quantized for minutes.
    static let poolRows = 64

    /// Writes `config` as a GGUF with llama.cpp's Q4_K_M types (a separate head when the config has one, q/k/v biases
    /// when its family has them), without the `minicpm.*_scale` keys (as the published Abacus files), and a placeholder
    /// SentencePiece vocabulary of the config's size, so that llama.cpp and `bench batch` load the same file. Returns
    /// the file's size in bytes.
    @discardableResult
    public static func writeQ4KM(_ config: LlamaConfiguration, to url: URL, seed: UInt64 = 1) throws(EngineError) -> Int {
        let arch = config.architecture.name
        var writer = GGUFWriter()
        writer.set("general.architecture", .string(arch))
        writer.set("general.name", .string("random weights of \(arch) shape"))
        writer.set("\(arch).context_length", .uint32(UInt32(config.contextLength)))
        writer.set("\(arch).embedding_length", .uint32(UInt32(config.hiddenSize)))
        writer.set("\(arch).block_count", .uint32(UInt32(config.layerCount)))
        writer.set("\(arch).feed_forward_length", .uint32(UInt32(config.intermediateSize)))
        writer.set("\(arch).attention.head_count", .uint32(UInt32(config.headCount)))
        writer.set("\(arch).attention.head_count_kv", .uint32(UInt32(config.kvHeadCount)))
        writer.set("\(arch).attention.layer_norm_rms_epsilon", .float32(config.rmsNormEpsilon))
        writer.set("\(arch).rope.freq_base", .float32(config.ropeTheta))
        for (key, value) in placeholderVocabulary(size: config.vocabularySize) { writer.set(key, value) }
        let pools = RowPools(seed: seed)
        var tensorSeed = seed
        do {
            func matrix(_ name: String, rows: Int, columns: Int, scale: Float) throws(ModelFileError) {
                let type = GGUFQuantMix.q4KM(name, layerCount: config.layerCount, columns: columns, tiedHead: config.tiedEmbeddings)
                let rowBytes = type.rowBytes(count: columns)!
                tensorSeed &+= 1
                let order = tensorSeed
                try writer.addTensor(name, shape: [columns, rows], type: type, byteCount: rows * rowBytes) { buffer in
                    let pool = pools.pool(type: type, columns: columns, scale: scale)
                    var generator = SplitMix64(seed: order)
                    for r in 0..<rows {
                        let source = Int(generator.next() % UInt64(poolRows)) * rowBytes
                        (buffer.baseAddress! + r * rowBytes).copyMemory(from: pool.baseAddress! + source, byteCount: rowBytes)
                    }
                }
            }
            let h = config.hiddenSize, f = config.intermediateSize, q = config.queryDimension, kv = config.kvDimension
            let ones = [Float](repeating: 1, count: h)
            // Uniform in [-1, 1): logits (the tied head over a unit-RMS state, divided by 9 for Abacus) then spread
            // with a standard deviation near 3 as a trained model's do, so the int8 head rescores a handful of
            // near-best rows in float, not the whole vocabulary (which a flat random head would make it do).
            try matrix("token_embd.weight", rows: config.vocabularySize, columns: h, scale: 1)
            for i in 0..<config.layerCount {
                let p = "blk.\(i)."
                try writer.addTensor(p + "attn_norm.weight", shape: [h], floats: ones)
                try matrix(p + "attn_q.weight", rows: q, columns: h, scale: 1 / Float(h).squareRoot())
                try matrix(p + "attn_k.weight", rows: kv, columns: h, scale: 1 / Float(h).squareRoot())
                try matrix(p + "attn_v.weight", rows: kv, columns: h, scale: 1 / Float(h).squareRoot())
                if config.features.attentionBiases {
                    for (name, count) in [("attn_q.bias", q), ("attn_k.bias", kv), ("attn_v.bias", kv)] {
                        try writer.addTensor(p + name, shape: [count], floats: (0..<count).map { Float($0 % 7) * 0.01 })
                    }
                }
                try matrix(p + "attn_output.weight", rows: h, columns: q, scale: 1 / Float(q).squareRoot())
                try writer.addTensor(p + "ffn_norm.weight", shape: [h], floats: ones)
                try matrix(p + "ffn_gate.weight", rows: f, columns: h, scale: 1 / Float(h).squareRoot())
                try matrix(p + "ffn_up.weight", rows: f, columns: h, scale: 1 / Float(h).squareRoot())
                try matrix(p + "ffn_down.weight", rows: h, columns: f, scale: 1 / Float(f).squareRoot())
            }
            try writer.addTensor("output_norm.weight", shape: [h], floats: ones)
            if !config.tiedEmbeddings { try matrix("output.weight", rows: config.vocabularySize, columns: h, scale: 1) }
            try writer.write(to: url)
        } catch {
            throw .modelFile(error.localizedDescription)
        }
        return (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
    }
}

extension RandomGGUFModel {
    /// `<unk>`, `<s>`, `</s>`, the 256 byte pieces (llama.cpp's SentencePiece vocabulary needs `<0x0A>`), `▁`, then
    /// pieces `▁t260`... up to `size`, all of score 0: any text encodes (spaces as `▁`, the rest in bytes), every id decodes.
    static func placeholderVocabulary(size: Int) -> [(String, GGUFValue)] {
        let special = ["<unk>", "<s>", "</s>"], bytes = (0..<256).map { "<0x" + ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) + ">" }
        let first = special + bytes + ["\u{2581}"]
        let pieces = first + (first.count..<max(size, first.count)).map { "\u{2581}t\($0)" }
        // SentencePiece's piece types: 2 unknown, 3 control, 6 byte, 1 normal.
        let types = [2, 3, 3] + [Int32](repeating: 6, count: 256) + [Int32](repeating: 1, count: pieces.count - 259)
        return [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(pieces.prefix(size).map { .string($0) })),
            ("tokenizer.ggml.scores", .array([GGUFValue](repeating: .float32(0), count: min(size, pieces.count)))),
            ("tokenizer.ggml.token_type", .array(types.prefix(size).map { .int32($0) })),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
    }
}

/// Quantized random rows, one pool per (type, row length, scale), made on first use.
private final class RowPools: @unchecked Sendable {
    private var pools: [String: UnsafeMutableRawBufferPointer] = [:]
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed ^ 0x5EED) }

    deinit { for pool in pools.values { pool.deallocate() } }

    func pool(type: TensorType, columns: Int, scale: Float) -> UnsafeMutableRawBufferPointer {
        let key = "\(type) \(columns) \(scale)"
        if let pool = pools[key] { return pool }
        let rowBytes = type.rowBytes(count: columns)!
        let pool = UnsafeMutableRawBufferPointer.allocate(byteCount: RandomGGUFModel.poolRows * rowBytes, alignment: 64)
        var values = [Float](repeating: 0, count: columns)
        for r in 0..<RandomGGUFModel.poolRows {
            // Uniform in [-scale, scale): 24 random bits per value.
            for c in 0..<columns { values[c] = (Float(generator.next() >> 40) / Float(1 << 23) - 1) * scale }
            values.withUnsafeBufferPointer { source in
                Quantize.row(source, to: type, into: UnsafeMutableRawBufferPointer(rebasing: pool[r * rowBytes..<(r + 1) * rowBytes]))
            }
        }
        pools[key] = pool
        return pool
    }
}
