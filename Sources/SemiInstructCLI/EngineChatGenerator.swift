// The embedded engine as the pipeline's generator.
import Engine
import Foundation
import Kernels
import Pipeline
import Tokenizers

public final class EngineChatGenerator: ChatGenerator, @unchecked Sendable {
    let generator: LlamaGenerator
    public let modelName: String
    public var supportsConstraints: Bool { true }

    /// `model` is a GGUF path, a model directory or a cached short name (`smollm2`); `promptPrecision` is float, bf16 or int8;
    /// `kvCache` f32 or f16; `kvMemoryMib` the KV bound (nil: sized from the model and the machine).
    public init(model: String, chatTemplate: String?, promptPrecision: String = "float", kvCache: String = "f32",
                kvMemoryMib: Int? = nil, threads: Int) throws {
        let loaded = try ModelLoader.load(model, threads: threads)
        var template: ChatTemplate?
        if let chatTemplate {
            guard let named = ChatTemplate(name: chatTemplate) else {
                throw PipelineError.model("unknown chat template '\(chatTemplate)'")
            }
            template = named
        }
        generator = LlamaGenerator(loaded, template: template, promptPrecision: PromptPrecision(rawValue: promptPrecision) ?? .float,
                                   batchOptions: BatchOptions(kvMemoryBytes: kvMemoryMib.map { $0 << 20 },
                                                              kvPrecision: KVPrecision(rawValue: kvCache) ?? .f32))
        modelName = model
    }

    public func generate(_ requests: [ChatRequest]) async throws -> [ChatReply] {
        let engineRequests = requests.map { request in
            GenerationRequest(
                prompt: .chat(request.messages),
                settings: SamplingSettings(temperature: Float(request.temperature), topK: request.topK, topP: Float(request.topP),
                                           seed: request.seed, maxTokens: request.maxTokens, stop: request.stop),
                constraint: request.constraint)
        }
        return try generator.results(batch: engineRequests).map { outcome in
            switch outcome {
            case let .success(result):
                ChatReply(text: result.text, promptTokens: result.promptIDs.count, completionTokens: result.ids.count,
                          seconds: result.prefillSeconds + result.decodeSeconds)
            case let .failure(error):
                .failed(error.localizedDescription)
            }
        }
    }
}
