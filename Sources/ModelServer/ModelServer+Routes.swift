// The completion and embedding routes: check the request, run it in the engine, answer in the API's shape.
import Engine
import Foundation
import Hummingbird
import Tokenizers

/// Chat and text completions differ only in their prompts and in the shape of a choice.
enum CompletionKind: Sendable {
    case chat, text

    var object: String { self == .chat ? "chat.completion" : "text_completion" }
    var chunkObject: String { self == .chat ? "chat.completion.chunk" : "text_completion" }
    var idPrefix: String { self == .chat ? "chatcmpl-" : "cmpl-" }
}

extension ModelServer {
    func chatCompletion(_ request: Request) async throws -> Response {
        let body = try await decode(ChatCompletionBody.self, from: request)
        let generator = try models.generator(named: body.fields.model)
        guard !body.messages.isEmpty else { throw APIError.badField("messages", "'messages' must hold at least one message") }
        let messages = body.messages.map { ChatMessage(role: $0.role, content: $0.content) }
        let prompt: [Int]
        do { prompt = try generator.engine.promptIDs(.chat(messages)) } catch {
            throw APIError(.badRequest, error.localizedDescription, param: "messages")
        }
        return try await complete(prompts: [prompt], fields: body.fields, kind: .chat, generator: generator, promptField: "messages")
    }

    func textCompletion(_ request: Request) async throws -> Response {
        let body = try await decode(CompletionBody.self, from: request)
        let generator = try models.generator(named: body.fields.model)
        guard !body.prompt.values.isEmpty, body.prompt.values.count <= settings.limits.maxChoices else {
            throw APIError.badField("prompt", "'prompt' takes 1 to \(settings.limits.maxChoices) strings")
        }
        let prompts = try body.prompt.values.map { text throws(APIError) in
            do { return try generator.engine.promptIDs(.text(text)) } catch { throw APIError(.badRequest, error.localizedDescription, param: "prompt") }
        }
        return try await complete(prompts: prompts, fields: body.fields, kind: .text, generator: generator, promptField: "prompt")
    }

    func complete(prompts: [[Int]], fields: GenerationFields, kind: CompletionKind, generator: ServedModels.Generator,
                  promptField: String) async throws -> Response {
        let contextLength = generator.engine.loaded.config.contextLength
        if let long = prompts.first(where: { $0.count >= contextLength }) {
            throw APIError(.badRequest, "The prompt is \(long.count) tokens; this model's context holds \(contextLength)",
                           param: promptField, code: "context_length_exceeded")
        }
        let plan = try GenerationPlan(prompts: prompts, fields: fields, limits: settings.limits, contextLength: contextLength)
        let id = kind.idPrefix + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        if plan.stream { return stream(plan, kind: kind, id: id, generator: generator) }
        let results = await ServedModels.run(plan.requests, on: generator.engine)
        var outcomes: [GenerationResult] = []
        for result in results {
            switch result {
            case let .success(outcome): outcomes.append(outcome)
            case let .failure(error): throw Self.apiError(error)
            }
        }
        let usage = Self.usage(outcomes, choices: plan.choices)
        metrics.generated(prompt: usage.promptTokens, completion: usage.completionTokens)
        let created = Int(Date().timeIntervalSince1970)
        switch kind {
        case .chat:
            let choices = outcomes.enumerated().map { index, outcome in
                ChatChoiceBody(index: index, message: .init(role: "assistant", content: outcome.text), finishReason: outcome.finishReason.apiName)
            }
            return try Self.json(CompletionResponseBody(id: id, object: kind.object, created: created, model: generator.name,
                                                        choices: choices, usage: usage))
        case .text:
            let choices = outcomes.enumerated().map { index, outcome in
                TextChoiceBody(index: index, text: outcome.text, finishReason: outcome.finishReason.apiName)
            }
            return try Self.json(CompletionResponseBody(id: id, object: kind.object, created: created, model: generator.name,
                                                        choices: choices, usage: usage))
        }
    }

    /// Each prompt counts once, however many choices it has.
    static func usage(_ outcomes: [GenerationResult], choices: Int) -> UsageBody {
        let prompt = stride(from: 0, to: outcomes.count, by: choices).reduce(0) { $0 + outcomes[$1].promptIDs.count }
        return UsageBody(promptTokens: prompt, completionTokens: outcomes.reduce(0) { $0 + $1.ids.count })
    }

    /// What a failed engine request tells the client: its own fault is a 400, the server's a 500.
    static func apiError(_ error: EngineError) -> APIError {
        switch error {
        case .promptTooLong, .kvCacheTooSmall:
            APIError(.badRequest, error.localizedDescription, code: "context_length_exceeded")
        case .emptyPrompt:
            APIError(.badRequest, error.localizedDescription, param: "prompt")
        case .constraintDeadEnd:
            APIError(.badRequest, error.localizedDescription, param: "grammar")
        default:
            APIError(.internalServerError, error.localizedDescription, type: "server_error")
        }
    }

    func embeddings(_ request: Request) async throws -> Response {
        let body = try await decode(EmbeddingsBody.self, from: request)
        let embedder = try models.embedder(named: body.model)
        let format = body.encodingFormat ?? "float"
        guard ["float", "base64"].contains(format) else {
            throw APIError.badField("encoding_format", "'encoding_format' must be float or base64, not '\(format)'")
        }
        guard !body.input.values.isEmpty, body.input.values.count <= 2048 else {
            throw APIError.badField("input", "'input' takes 1 to 2048 strings")
        }
        let vectors: [[Float]]
        do { vectors = try await models.embed(body.input.values, with: embedder) } catch {
            throw APIError(.badRequest, error.localizedDescription, param: "input")
        }
        let items = vectors.enumerated().map { index, vector in
            EmbeddingItemBody(index: index, embedding: format == "base64" ? .encoding(vector) : .floats(vector))
        }
        return try Self.json(EmbeddingsResponseBody(data: items, model: embedder.name, usage: UsageBody(promptTokens: 0, completionTokens: 0)))
    }
}
