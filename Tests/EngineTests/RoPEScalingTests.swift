// RoPE scaling read from config.json as models state it, against the inverse frequencies and attention factors that
// transformers' own initialisers compute (Tests/Fixtures/rope-scaling, made by scripts/fixtures/rope_scaling.py).
import Engine
import Foundation
import Kernels
import Testing

struct RoPEScalingTests {
    struct Case: Decodable {
        var name: String
        var head_dim: Int
        var rope_theta: Double
        var max_position_embeddings: Int
        var inv_freq: [Double]
        var attention_factor: Double
    }

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/rope-scaling/expected.json")

    /// Each case's config.json (the fixture's `rope_scaling` in a Llama config), read as a model directory's would be.
    static func configuration(_ index: Int, key: String = "rope_scaling") throws -> LlamaConfiguration {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as! [String: Any]
        let entry = (object["cases"] as! [[String: Any]])[index]
        let headDim = entry["head_dim"] as! Int
        var config: [String: Any] = [
            "model_type": "llama", "hidden_size": headDim * 4, "intermediate_size": 64, "num_hidden_layers": 1,
            "num_attention_heads": 4, "head_dim": headDim, "vocab_size": 32,
            "max_position_embeddings": entry["max_position_embeddings"]!, key: entry["rope_scaling"]!,
        ]
        if key == "rope_scaling" { config["rope_theta"] = entry["rope_theta"]! } else {
            // transformers 5 writes the base inside `rope_parameters`.
            var parameters = entry["rope_scaling"] as! [String: Any]
            parameters["rope_theta"] = entry["rope_theta"]!
            config[key] = parameters
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rope-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try LlamaConfiguration(configJSON: url)
    }

    static func cases() throws -> [Case] {
        struct File: Decodable { var cases: [Case] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: fixture)).cases
    }

    @Test func everyKindMatchesTransformers() throws {
        for (index, expected) in try Self.cases().enumerated() {
            for key in ["rope_scaling", "rope_parameters"] {
                let config = try Self.configuration(index, key: key)
                #expect(config.ropeScaling != .none, "\(expected.name)")
                #expect(Double(config.ropeTheta) == expected.rope_theta, "\(expected.name) \(key)")
                let (inverse, attention) = config.ropeScaling.frequencies(dimension: expected.head_dim, theta: Double(config.ropeTheta))
                #expect(inverse.count == expected.inv_freq.count)
                // transformers computes in float32.
                for (ours, theirs) in zip(inverse, expected.inv_freq) {
                    #expect(abs(ours - theirs) <= 2e-6 * theirs, "\(expected.name): \(ours) against \(theirs)")
                }
                #expect(abs(attention - expected.attention_factor) < 1e-9, "\(expected.name)")
            }
        }
    }

    @Test func eachKindChangesTheFrequencies() throws {
        // A reader that dropped the scaling would give the plain frequencies: every case differs from them somewhere.
        for (index, expected) in try Self.cases().enumerated() {
            let plain = RoPEScaling.none.frequencies(dimension: expected.head_dim, theta: expected.rope_theta).inverse
            let scaled = try Self.configuration(index).ropeScaling.frequencies(dimension: expected.head_dim, theta: expected.rope_theta)
            #expect(zip(plain, scaled.inverse).contains { abs($0 - $1) > 1e-3 * $0 } || scaled.attentionFactor != 1, "\(expected.name)")
        }
    }

    @Test func theMagnitudeScalesTheRotation() {
        let plain = RoPE(headDimension: 8, theta: 10000, style: .halves)
        let yarn = RoPE(headDimension: 8, theta: 10000, style: .halves,
                        scaling: .yarn(factor: 4, originalContext: 64, betaFast: 32, betaSlow: 1, attentionFactor: nil, truncate: true))
        var a = [Float](repeating: 0, count: 8), b = a
        plain.rotation(position: 0, into: &a)
        yarn.rotation(position: 0, into: &b)
        // At position 0 every cosine is the magnitude: 1, and 0.1 ln 4 + 1.
        #expect(a[0] == 1 && abs(b[0] - Float(0.1 * log(4.0) + 1)) < 1e-6)
    }

    @Test func frequencyFactorsDivideEachPair() {
        let (inverse, attention) = RoPEScaling.frequencyFactors([1, 2, 4, 8]).frequencies(dimension: 8, theta: 10000)
        let plain = RoPEScaling.none.frequencies(dimension: 8, theta: 10000).inverse
        #expect(zip(zip(inverse, plain), [1.0, 2, 4, 8]).allSatisfy { abs($0.0 * $1 - $0.1) < 1e-12 } && attention == 1)
    }

    @Test func anUnknownKindIsRefusedByName() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rope-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("""
            {"model_type": "llama", "hidden_size": 64, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
             "vocab_size": 32, "rope_scaling": {"type": "dynamic", "factor": 2.0}}
            """.utf8).write(to: url)
        let error = #expect(throws: EngineError.self) { try LlamaConfiguration(configJSON: url) }
        #expect(error?.localizedDescription == "\(url.path): rope_scaling.rope_type: RoPE scaling of type dynamic is not supported yet; "
                + "the model would run without it and give wrong answers")
    }
}
