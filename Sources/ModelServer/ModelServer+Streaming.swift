// Streamed completions as server-sent events: a chunk per piece of decoded text, a last chunk per choice with
// its finish reason, usage when asked, then `[DONE]`. A client that goes away cancels its sequences at the
// engine's next step.
import Engine
import Foundation
import Hummingbird

extension ModelServer {
    enum StreamEvent: Sendable {
        case text(choice: Int, String)
        case finished([Result<GenerationResult, EngineError>])
    }

    func stream(_ plan: GenerationPlan, kind: CompletionKind, id: String, generator: ServedModels.Generator) -> Response {
        let (events, sink) = AsyncStream<StreamEvent>.makeStream()
        let gone = ClientGone()
        var requests = plan.requests
        for index in requests.indices {
            requests[index].onText = { sink.yield(.text(choice: index, $0)) }
            requests[index].isCancelled = { gone.isSet }
        }
        let choiceCount = requests.count, prepared = requests
        let created = Int(Date().timeIntervalSince1970)
        let engine = generator.engine
        let name = generator.name
        let metrics = metrics
        Task {
            sink.yield(.finished(await ServedModels.run(prepared, on: engine)))
            sink.finish()
        }
        let body = ResponseBody { writer in
            func send(_ json: String) async throws { try await writer.write(ByteBuffer(string: "data: \(json)\n\n")) }
            func chunk(_ choices: [StreamChoice], usage: UsageBody? = nil) throws -> String {
                let body: any Encodable = switch kind {
                case .chat: CompletionResponseBody(id: id, object: kind.chunkObject, created: created, model: name,
                                                   choices: choices.map(\.chat), usage: usage)
                case .text: CompletionResponseBody(id: id, object: kind.chunkObject, created: created, model: name,
                                                   choices: choices.map(\.text), usage: usage)
                }
                return String(decoding: try JSONEncoder().encode(body), as: UTF8.self)
            }
            do {
                if kind == .chat {
                    try await send(chunk((0..<choiceCount).map { StreamChoice(index: $0, role: "assistant", content: "") }))
                }
                for await event in events {
                    switch event {
                    case let .text(choice, text):
                        try await send(chunk([StreamChoice(index: choice, content: text)]))
                    case let .finished(results):
                        var outcomes: [GenerationResult] = []
                        for (index, result) in results.enumerated() {
                            switch result {
                            case let .success(outcome):
                                outcomes.append(outcome)
                                try await send(chunk([StreamChoice(index: index, content: "", finishReason: outcome.finishReason.apiName)]))
                            case let .failure(error):
                                // The status is sent; the error goes in the stream, as OpenAI's servers do.
                                try await send(String(decoding: Self.apiError(error).body, as: UTF8.self))
                            }
                        }
                        let usage = outcomes.count == results.count ? Self.usage(outcomes, choices: plan.choices) : nil
                        if let usage { metrics.generated(prompt: usage.promptTokens, completion: usage.completionTokens) }
                        if plan.includeUsage, let usage { try await send(chunk([], usage: usage)) }
                    }
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
            } catch {
                gone.set()
                throw error
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }
}

/// One choice's piece of a chunk, in either completion's shape.
struct StreamChoice: Sendable {
    var index: Int
    var role: String? = nil
    var content: String
    var finishReason: String? = nil

    var chat: ChatChoiceBody { ChatChoiceBody(index: index, delta: .init(role: role, content: content), finishReason: finishReason) }
    var text: TextChoiceBody { TextChoiceBody(index: index, text: content, finishReason: finishReason) }
}

/// Set when writing to the client fails; the engine asks it before each step.
final class ClientGone: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
