// How far attention and RoPE reach, as config files state it. A sliding window shorter than the context cuts the
// context to it, so no sequence reaches past the window and full attention is exactly the window's (Qwen2 states a
// window it does not use); RoPE over part of each head is read from either form.
import Engine
import Foundation
import ModelFiles
import Testing

struct AttentionReachTests {
    static func configuration(_ extra: String) throws -> LlamaConfiguration {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("window-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("""
            {"hidden_size": 64, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 32,
             "max_position_embeddings": 32768, \(extra)}
            """.utf8).write(to: url)
        return try LlamaConfiguration(configJSON: url)
    }

    @Test func aWindowShorterThanTheContextCutsIt() throws {
        // Mistral 7B v0.1 and StarCoder2 state only the window.
        let mistral = try Self.configuration(#""model_type": "mistral", "sliding_window": 4096"#)
        #expect(mistral.contextLength == 4096 && mistral.slidingWindow == 4096)
        // transformers 5 names each layer's kind.
        let layered = try Self.configuration(#""model_type": "qwen2", "sliding_window": 2048, "layer_types": ["sliding_attention", "full_attention"]"#)
        #expect(layered.contextLength == 2048 && layered.slidingWindow == 2048)
        // The own encoding keeps the cut.
        #expect(try JSONDecoder().decode(LlamaConfiguration.self, from: JSONEncoder().encode(layered)) == layered)
    }

    @Test func aWindowThatIsOffOrLongerChangesNothing() throws {
        // Qwen2.5's configs state a window with use_sliding_window false, or full-attention layer types.
        for extra in [#""model_type": "qwen2", "sliding_window": 4096, "use_sliding_window": false"#,
                      #""model_type": "qwen2", "sliding_window": 4096, "layer_types": ["full_attention", "full_attention"]"#,
                      #""model_type": "mistral", "sliding_window": null"#, #""model_type": "mistral", "sliding_window": 65536"#] {
            let config = try Self.configuration(extra)
            #expect(config.contextLength == 32768 && config.slidingWindow == nil, "\(extra)")
        }
        let error = #expect(throws: EngineError.self) { try Self.configuration(#""model_type": "qwen2", "layer_types": ["chunked_attention"]"#) }
        #expect(error?.localizedDescription.contains("layer_types: chunked_attention layers is not supported yet") == true)
    }

    @Test func ropeOverPartOfEachHeadIsReadFromEitherKey() throws {
        // StableLM and Phi-4-mini rotate a share of each head (16 values here): transformers takes int(16 x factor).
        let partial = try Self.configuration(#""model_type": "stablelm", "partial_rotary_factor": 0.75"#)
        #expect(partial.rotaryDimension == 12)
        #expect(try Self.configuration(#""model_type": "llama", "rope_parameters": {"partial_rotary_factor": 0.25}"#).rotaryDimension == 4)
        #expect(try Self.configuration(#""model_type": "llama", "partial_rotary_factor": 1.0"#).rotaryDimension == nil)
        #expect(try JSONDecoder().decode(LlamaConfiguration.self, from: JSONEncoder().encode(partial)) == partial)
        let odd = #expect(throws: EngineError.self) { try Self.configuration(#""model_type": "stablelm", "partial_rotary_factor": 0.0625"#) }
        #expect(odd?.localizedDescription.contains("rotary dimension") == true)
        // StableLM-2-12B's other differences are refused by name rather than run wrong.
        for (key, words) in [("use_parallel_residual", "side by side"), ("qk_layernorm", "each query and key head")] {
            let error = #expect(throws: EngineError.self) { try Self.configuration(#""model_type": "stablelm", ""# + key + #"": true"#) }
            #expect(error?.localizedDescription.contains(key) == true && error?.localizedDescription.contains(words) == true)
        }
    }

    @Test func theGGUFKeyCutsTheContextToo() throws {
        let config = try metadataConfiguration([("general.architecture", GGUFValue.string("llama")), ("llama.embedding_length", .uint32(64)),
                                                 ("llama.feed_forward_length", .uint32(64)), ("llama.block_count", .uint32(2)),
                                                 ("llama.attention.head_count", .uint32(4)), ("llama.vocab_size", .uint32(32)),
                                                 ("llama.context_length", .uint32(32768)), ("llama.attention.sliding_window", .uint32(4096))])
        #expect(config.contextLength == 4096 && config.slidingWindow == 4096)
    }
}
