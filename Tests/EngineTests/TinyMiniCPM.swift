// Tiny MiniCPM models for the tests: the weights scripts/fixtures/tiny_minicpm.py describes, regenerated
// here from the same SplitMix64 seeds, written as safetensors and GGUF; the numpy logits come from the fixture.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing

enum TinyMiniCPM {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-minicpm")

    struct Spec {
        let index: UInt64, hidden: Int, heads: Int, ffn: Int, layers: Int, vocab: Int, dimModelBase: Int, scaleDepth: Float
        var headDimension: Int { hidden / heads }
    }

    struct Expected {
        let tokens: [Int]
        let spec: Spec
        let logits: [[Float]]
    }

    static func expected(_ model: String) throws -> Expected {
        let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try #require((root["models"] as? [String: [String: Any]])?[model])
        let s = try #require(entry["spec"] as? [String: Double])
        let spec = Spec(index: UInt64(s["index"]!), hidden: Int(s["hidden"]!), heads: Int(s["heads"]!), ffn: Int(s["ffn"]!),
                        layers: Int(s["layers"]!), vocab: Int(s["vocab"]!), dimModelBase: Int(s["dim_model_base"]!),
                        scaleDepth: Float(s["scale_depth"]!))
        let logits = try #require(entry["logits"] as? [[Double]]).map { $0.map(Float.init) }
        return Expected(tokens: try #require(root["tokens"] as? [Int]), spec: spec, logits: logits)
    }

    struct Tensor {
        let name: String
        /// Row-major, outermost first (PyTorch order).
        let shape: [Int]
        let values: [Float]
    }

    static let layerTensors = ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                               "post_attention_layernorm", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

    /// The fixture script's weights: tensor t uses SplitMix64(1000 * model + t); matrices take the top 8 bits
    /// as (k - 128) / 128 * 2^-e (e from the row length; o_proj and down_proj x 8, the embedding 1/4), norms the
    /// top 4 bits as 1 + (j - 8) / 128.
    static func weights(_ spec: Spec) -> [Tensor] {
        let h = spec.hidden, f = spec.ffn
        let shapes: [String: [Int]] = [
            "input_layernorm": [h], "post_attention_layernorm": [h], "self_attn.q_proj": [h, h], "self_attn.k_proj": [h, h],
            "self_attn.v_proj": [h, h], "self_attn.o_proj": [h, h], "mlp.gate_proj": [f, h], "mlp.up_proj": [f, h],
            "mlp.down_proj": [h, f],
        ]
        var specs: [(String, [Int])] = [("model.embed_tokens.weight", [spec.vocab, h])]
        for i in 0..<spec.layers { specs += layerTensors.map { ("model.layers.\(i).\($0).weight", shapes[$0]!) } }
        specs.append(("model.norm.weight", [h]))
        return specs.enumerated().map { t, entry in
            var generator = SplitMix64(seed: 1000 * spec.index + UInt64(t))
            let count = entry.1.reduce(1, *)
            let values: [Float]
            if entry.1.count == 1 {
                values = (0..<count).map { _ in 1 + (Float(generator.next() >> 60) - 8) / 128 }
            } else {
                var scale: Float = t == 0 ? 0.25 : Float(pow(2, -(log2(Double(entry.1[1]).squareRoot())).rounded()))
                if entry.0.hasSuffix("o_proj.weight") || entry.0.hasSuffix("down_proj.weight") { scale *= 8 }
                values = (0..<count).map { _ in (Float(generator.next() >> 56) - 128) / 128 * scale }
            }
            return Tensor(name: entry.0, shape: entry.1, values: values)
        }
    }

    // MARK: - Writing the model files

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-minicpm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// config.json + model.safetensors (F32), the layout `save_pretrained` leaves.
    static func writeSafetensors(_ model: String, into directory: URL) throws {
        let spec = try expected(model).spec
        try FileManager.default.copyItem(at: Self.directory.appendingPathComponent("\(model)/config.json"),
                                         to: directory.appendingPathComponent("config.json"))
        var header: [String: Any] = [:]
        var data = Data()
        for tensor in weights(spec) {
            let bytes = tensor.values.withUnsafeBytes { Data($0) }
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [data.count, data.count + bytes.count]]
            data.append(bytes)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: Array(repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(data)
        try file.write(to: directory.appendingPathComponent("model.safetensors"))
    }

    static let ggufNames = ["input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
                            "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "post_attention_layernorm": "ffn_norm",
                            "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"]

    /// The GGUF name of a Hugging Face tensor name.
    static func ggufName(_ name: String) -> String {
        if name == "model.embed_tokens.weight" { return "token_embd.weight" }
        if name == "model.norm.weight" { return "output_norm.weight" }
        let parts = name.split(separator: ".")
        let layer = parts[2], tensor = parts[3..<(parts.count - 1)].joined(separator: ".")
        return "blk.\(layer).\(ggufNames[tensor]!).weight"
    }

    /// llama.cpp's converter reorders q/k rows so RoPE rotates adjacent pairs: row h*d + 2i + j <- h*d + j*d/2 + i.
    static func permuteForGGUF(_ values: [Float], rows: Int, columns: Int, heads: Int) -> [Float] {
        let d = rows / heads, half = d / 2
        var out = [Float](repeating: 0, count: values.count)
        for h in 0..<heads {
            for i in 0..<half {
                for j in 0..<2 {
                    let to = (h * d + 2 * i + j) * columns, from = (h * d + j * half + i) * columns
                    out[to..<to + columns] = values[from..<from + columns]
                }
            }
        }
        return out
    }

    /// Q8_0 blocks (fp16 scale max|x| / 127, 32 rounded int8) as llama.cpp quantizes them.
    static func quantizeQ8_0(_ values: [Float]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count / 32 * 34)
        for block in stride(from: 0, to: values.count, by: 32) {
            let x = values[block..<block + 32]
            let d = (x.map(abs).max() ?? 0) / 127
            let inverse: Float = d == 0 ? 0 : 1 / d
            withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            for v in x { bytes.append(UInt8(bitPattern: Int8((v * inverse).rounded()))) }
        }
        return bytes
    }

    /// How a GGUF stores each matrix: a function of the GGUF tensor name, its layer and the row length.
    typealias TypeChoice = (_ name: String, _ layer: Int?, _ columns: Int) -> TensorType

    /// The model as a GGUF file the way llama.cpp's converter writes a MiniCPM (q/k permuted, norms F32, tied
    /// head); with `scaleKeys` false the `minicpm.*_scale` keys are left out, as in the 2024 Abacus files.
    static func writeGGUF(_ model: String, to url: URL, scaleKeys: Bool = true,
                          quantize: [TensorType: ([Float]) -> [UInt8]] = [.q8_0: quantizeQ8_0],
                          type: TypeChoice) throws {
        let spec = try expected(model).spec
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("minicpm"))
        writer.set("general.name", .string("tiny-minicpm-\(model)"))
        writer.set("minicpm.context_length", .uint32(64))
        writer.set("minicpm.embedding_length", .uint32(UInt32(spec.hidden)))
        writer.set("minicpm.block_count", .uint32(UInt32(spec.layers)))
        writer.set("minicpm.feed_forward_length", .uint32(UInt32(spec.ffn)))
        writer.set("minicpm.attention.head_count", .uint32(UInt32(spec.heads)))
        writer.set("minicpm.attention.head_count_kv", .uint32(UInt32(spec.heads)))
        writer.set("minicpm.attention.layer_norm_rms_epsilon", .float32(1e-5))
        writer.set("minicpm.rope.freq_base", .float32(10000))
        if scaleKeys {
            writer.set("minicpm.embedding_scale", .float32(12))
            writer.set("minicpm.residual_scale", .float32(spec.scaleDepth / Float(spec.layers).squareRoot()))
            writer.set("minicpm.logit_scale", .float32(Float(spec.hidden) / Float(spec.dimModelBase)))
        }
        for tensor in weights(spec) {
            let name = ggufName(tensor.name)
            let shape = Array(tensor.shape.reversed())
            if tensor.shape.count == 1 {
                try writer.addTensor(name, shape: shape, floats: tensor.values)
                continue
            }
            var values = tensor.values
            if name.hasSuffix("attn_q.weight") || name.hasSuffix("attn_k.weight") {
                values = permuteForGGUF(values, rows: tensor.shape[0], columns: tensor.shape[1], heads: spec.heads)
            }
            let layer = name.hasPrefix("blk.") ? Int(name.split(separator: ".")[1]) : nil
            let chosen = type(name, layer, tensor.shape[1])
            if chosen == .f32 {
                try writer.addTensor(name, shape: shape, floats: values)
            } else {
                let encode = try #require(quantize[chosen], "no quantizer for \(chosen)")
                try writer.addTensor(name, shape: shape, type: chosen, bytes: encode(values))
            }
        }
        try writer.write(to: url)
    }

    /// A copy of a GGUF file with every tensor dequantized to F32.
    static func dequantizeGGUF(_ url: URL, to target: URL) throws {
        let file = try GGUFFile(url: url)
        var writer = GGUFWriter(alignment: file.alignment)
        for key in file.keys { writer.set(key, file.value(key)!) }
        for tensor in file.tensors {
            let rows = tensor.shape.count == 1 ? 1 : tensor.shape[1]
            let values = try file.matrix(tensor.name, rows: rows, columns: tensor.shape[0]).dequantized()
            try writer.addTensor(tensor.name, shape: tensor.shape, floats: values)
        }
        try writer.write(to: target)
    }

    static func ggufModel(_ url: URL, threads: Int = 2) throws -> LlamaModel {
        let gguf = try GGUFFile(url: url)
        return try LlamaModel(config: LlamaConfiguration(gguf: gguf), source: GGUFWeightSource(file: gguf), names: .gguf, threads: threads)
    }

    static func huggingFaceModel(_ directory: URL) throws -> LlamaModel {
        let config = try LlamaConfiguration(configJSON: directory.appendingPathComponent("config.json"))
        return try LlamaModel(config: config, source: HuggingFaceWeights.source(directory: directory), names: .huggingFace, threads: 2)
    }

    /// Logits at every position, one decode step at a time (float activations unless told).
    static func decodeLogits(_ model: LlamaModel, _ tokens: [Int], precision: ActivationPrecision = .float) -> [[Float]] {
        let session = model.makeSession(capacity: 32, precision: precision)
        return withExtendedLifetime(session) { tokens.map { Array(session.decode($0)) } }
    }

    /// The last position's logits through the batched prefill path.
    static func prefillLogits(_ model: LlamaModel, _ tokens: [Int]) -> [Float] {
        let session = model.makeSession(capacity: 32, precision: .float)
        return withExtendedLifetime(session) { Array(session.process(tokens)) }
    }

    static func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    /// Root-mean-square difference relative to the reference's root-mean-square.
    static func relativeRMS(_ a: [Float], _ reference: [Float]) -> Float {
        let error = zip(a, reference).map { ($0 - $1) * ($0 - $1) }.reduce(0, +)
        let scale = reference.map { $0 * $0 }.reduce(0, +)
        return (error / max(scale, .leastNormalMagnitude)).squareRoot()
    }
}
