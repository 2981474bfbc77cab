// Settings of the newer families read from configs and GGUF metadata alone: llama.cpp's defaults for Gemma 2 files that
// predate the keys, Gemma 3's local RoPE base kept when the window reaches past the context, bad values refused by
// name; MiniCPM4's LongRoPE; and the chat template files transformers reads beside a checkpoint.
import Engine
import Foundation
import ModelFiles
import Testing

/// The configuration a GGUF of metadata alone (no tensors) gives: what a model file's keys decide by themselves.
func metadataConfiguration(_ pairs: [(String, GGUFValue)]) throws -> LlamaConfiguration {
    var writer = GGUFWriter()
    for (key, value) in pairs { writer.set(key, value) }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("metadata-\(UUID().uuidString).gguf")
    defer { try? FileManager.default.removeItem(at: url) }
    try writer.write(to: url)
    return try LlamaConfiguration(gguf: GGUFFile(url: url))
}

struct FamilyConfigurationTests {
    @Test func gemma2GGUFWithoutItsKeysGetsLlamaCppsDefaults() throws {
        let config = try metadataConfiguration([("general.architecture", GGUFValue.string("gemma2")), ("gemma2.embedding_length", .uint32(64)),
                                                 ("gemma2.feed_forward_length", .uint32(64)), ("gemma2.block_count", .uint32(4)),
                                                 ("gemma2.attention.head_count", .uint32(4)), ("gemma2.vocab_size", .uint32(32)),
                                                 ("gemma2.context_length", .uint32(8192))])
        #expect(config.attentionSoftcap == 50 && config.logitSoftcap == 30)
        #expect(config.localAttention == LlamaConfiguration.LocalAttention(window: 4096, layers: [0, 2]) && config.contextLength == 8192)
    }

    @Test func gemma3KeepsItsLocalBaseWhenTheWindowReachesPastTheContext() throws {
        let config = try AttentionReachTests.configuration(#""model_type": "gemma3_text", "sliding_window": 65536, "rope_local_base_freq": 10000, "rope_theta": 1000000"#)
        #expect(config.localRopeTheta == 10000 && config.ropeTheta == 1_000_000)
        #expect(config.localAttention?.layers == [0, 1] && config.contextLength == 32768)
    }

    @Test func badLocalAttentionSettingsAreRefusedByName() throws {
        for (extra, key) in [(#""model_type": "gemma3_text", "sliding_window": 512, "sliding_window_pattern": 0"#, "sliding_window_pattern"),
                             (#""model_type": "gemma3_text", "sliding_window": 512, "layer_types": ["sliding_attention"]"#, "layer_types"),
                             (#""model_type": "gemma2", "sliding_window": 512, "final_logit_softcapping": 0"#, "final_logit_softcapping")] {
            let error = #expect(throws: EngineError.self) { try AttentionReachTests.configuration(extra) }
            #expect(error?.localizedDescription.contains(key) == true, "\(extra): \(String(describing: error))")
        }
    }

    /// MiniCPM4 states LongRoPE inside rope_scaling, its original context there too: read as Phi-3's, context cut.
    @Test func miniCPMsLongRoPEIsRead() throws {
        let config = try AttentionReachTests.configuration(#""model_type": "minicpm", "scale_emb": 12, "dim_model_base": 256, "scale_depth": 1.4, "rope_scaling": {"rope_type": "longrope", "short_factor": [1, 1, 1, 1, 1, 1, 2, 4], "long_factor": [2, 2, 2, 2, 2, 2, 4, 8], "original_max_position_embeddings": 8192}"#)
        guard case let .longrope(short, original, attention) = config.ropeScaling else {
            Issue.record("not LongRoPE: \(config.ropeScaling)")
            return
        }
        #expect(short == [1, 1, 1, 1, 1, 1, 2, 4] && original == 8192 && config.contextLength == 8192)
        #expect(abs(attention - (1 + log(4.0) / log(8192.0)).squareRoot()) < 1e-12)
    }

    /// transformers reads chat_template.jinja first, then chat_template.json, then tokenizer_config.json (a string or
    /// a list of named templates, `default` first).
    @Test func chatTemplateFilesAreReadWhereTransformersReadsThem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let named: [String: Any] = ["chat_template": [["name": "tool_use", "template": "T"], ["name": "default", "template": "D"]]]
        #expect(ModelLoader.huggingFaceChatTemplate(directory: directory, tokenizerConfig: named) == "D")
        #expect(ModelLoader.huggingFaceChatTemplate(directory: directory, tokenizerConfig: ["chat_template": "S"]) == "S")
        try JSONSerialization.data(withJSONObject: ["chat_template": "J"]).write(to: directory.appendingPathComponent("chat_template.json"))
        #expect(ModelLoader.huggingFaceChatTemplate(directory: directory, tokenizerConfig: ["chat_template": "S"]) == "J")
        try "F".write(to: directory.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8)
        #expect(ModelLoader.huggingFaceChatTemplate(directory: directory, tokenizerConfig: ["chat_template": "S"]) == "F")
        #expect(ModelLoader.huggingFaceChatTemplate(directory: directory.appendingPathComponent("none"), tokenizerConfig: [:]) == nil)
    }
}
