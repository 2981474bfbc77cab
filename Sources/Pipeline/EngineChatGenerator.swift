// The embedded engine as the pipeline's generator.
import Engine
import Foundation
import Tokenizers

public final class EngineChatGenerator: ChatGenerator, @unchecked Sendable {
    let generator: LlamaGenerator
    public let modelName: String
    public var supportsConstraints: Bool { true }

    /// `model` is a GGUF path, a model directory or a cached short name (`smollm2`).
    public init(model: String, chatTemplate: String?, threads: Int) throws {
        let loaded = try ModelLoader.load(model, threads: threads)
        var template: ChatTemplate?
        if let chatTemplate {
            guard let named = ChatTemplate(name: chatTemplate) else {
                throw PipelineError.model("unknown chat template '\(chatTemplate)'")
            }
            template = named
        }
        generator = LlamaGenerator(loaded, template: template)
        modelName = model
    }

    public func generate(_ requests: [GenerationRequest]) async throws -> [GenerationOutput] {
        let engineRequests = try requests.map { request in
            Engine.GenerationRequest(
                prompt: .chat(try request.messages.map { message in
                    guard let role = Tokenizers.ChatMessage.Role(rawValue: message.role) else {
                        throw PipelineError.model("unknown chat role '\(message.role)'")
                    }
                    return Tokenizers.ChatMessage(role: role, content: message.content)
                }),
                settings: SamplingSettings(temperature: Float(request.temperature), topK: request.topK, topP: Float(request.topP),
                                           seed: request.seed, maxTokens: request.maxTokens, stop: request.stop),
                constraint: request.constraint)
        }
        return try generator.results(batch: engineRequests).map { outcome in
            switch outcome {
            case let .success(result):
                GenerationOutput(text: result.text, promptTokens: result.promptIDs.count, completionTokens: result.ids.count,
                                 seconds: result.prefillSeconds + result.decodeSeconds)
            case let .failure(error):
                .failed(error.localizedDescription)
            }
        }
    }
}
