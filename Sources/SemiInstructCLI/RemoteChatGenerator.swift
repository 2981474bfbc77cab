// A model on another machine as the pipeline's generator, through its OpenAI-compatible API. The stages' grammars
// go as GBNF in the field the server reads (ServerKind); a server that takes none is asked without them, and the
// stages parse its answers liberally, as for any generator that cannot constrain.
import Constraints
import Foundation
import Pipeline
import RemoteModels

public final class RemoteChatGenerator: ChatGenerator {
    public let client: OpenAIClient
    public var modelName: String { client.settings.model }
    /// The server's kind, declared or told from its model list, and how it was told.
    public let server: ServerKind
    let serverDetail: String
    /// Where each batch's line goes: requests, failures, retries and tokens per second.
    let report: @Sendable (String) -> Void

    public init(model: String, endpoint: Recipe.Endpoint, report: @escaping @Sendable (String) -> Void = { _ in }) throws {
        client = OpenAIClient(try endpoint.settings(model: model))
        self.report = report
        if endpoint.serverKind == .auto {
            (server, serverDetail) = client.detectServer()
        } else {
            (server, serverDetail) = (endpoint.serverKind, "declared in the recipe")
        }
    }

    public var supportsConstraints: Bool { server.constrains }

    public var constraintRoute: String? {
        guard let field = server.grammarField else { return "server \(server.rawValue) (\(serverDetail)) takes no grammar" }
        return "GBNF in `\(field)` to a \(server.rawValue) server (\(serverDetail))"
    }


    /// At most the endpoint's concurrency in flight, replies in the order of `requests`. A request that still fails
    /// after its retries is that sample's failure; a refused key or an unknown model stops the run.
    public func generate(_ requests: [ChatRequest]) async throws -> [ChatReply] {
        let start = DispatchTime.now()
        let retriesBefore = client.retriesMade
        let replies = try await replies(to: requests)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let tokens = replies.reduce(0) { $0 + $1.completionTokens }
        let failed = replies.filter { $0.failure != nil }.count
        report(String(format: "%@: %d requests (up to %d at once), %d failed, %d retried, %d tokens in %.1f s (%.1f tokens/s)",
                      client.url("chat/completions").absoluteString, requests.count, min(requests.count, client.settings.concurrency),
                      failed, client.retriesMade - retriesBefore, tokens, seconds, seconds > 0 ? Double(tokens) / seconds : 0))
        return replies
    }

    /// Every request runs to its end before an error that stops the run is thrown, so no sample's answer is lost to a
    /// sibling's error (the client never lets cancellation reach URLSession either: see `OpenAIClient.send`).
    func replies(to requests: [ChatRequest]) async throws -> [ChatReply] {
        let (replies, stop) = await withTaskGroup(of: Answered.self) { group in
            var replies = [ChatReply](repeating: .failed("not asked"), count: requests.count)
            var stop: RemoteModelError?
            var submitted = 0, finished = 0
            while finished < requests.count {
                // Keep the window full, then take the next finished request.
                while submitted < requests.count && submitted - finished < client.settings.concurrency {
                    let index = submitted, request = requests[index]
                    group.addTask { await self.answer(request, index: index) }
                    submitted += 1
                }
                guard let answered = await group.next() else { break }
                replies[answered.index] = answered.reply
                stop = stop ?? answered.stop
                finished += 1
            }
            return (replies, stop)
        }
        if let stop { throw stop }
        return replies
    }

    /// One request's reply, or the error that stops the run.
    struct Answered: Sendable {
        var index: Int
        var reply: ChatReply
        var stop: RemoteModelError?
    }

    func answer(_ request: ChatRequest, index: Int) async -> Answered {
        do {
            return Answered(index: index, reply: try await reply(to: request))
        } catch let error as RemoteModelError {
            return Answered(index: index, reply: .failed(error.localizedDescription), stop: error)
        } catch {
            return Answered(index: index, reply: .failed(error.localizedDescription))
        }
    }

    func reply(to request: ChatRequest) async throws -> ChatReply {
        let start = DispatchTime.now()
        var body = ChatCompletionRequest(
            model: client.settings.model, messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content) },
            maxTokens: request.maxTokens, temperature: request.temperature, topP: request.topP, seed: nil,
            stop: request.stop.isEmpty ? nil : request.stop)
        // A grammar built from a JSON schema or a regex has no GBNF text, and one llama.cpp cannot read (a repeat past
        // its limit) cannot be sent: that request goes unconstrained, and its answer is parsed as it comes.
        let grammar = try? request.constraint?.gbnf
        server.shape(&body, grammar: grammar ?? nil, topK: request.topK, seed: request.seed)
        do {
            let answer = try await client.chat(body)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            return ChatReply(text: answer.choices[0].message.content, promptTokens: answer.usage?.promptTokens ?? 0,
                             completionTokens: answer.usage?.completionTokens ?? 0, seconds: seconds)
        } catch {
            if error.stopsTheRun { throw error }
            return .failed(error.localizedDescription)
        }
    }
}

extension Recipe.Endpoint {
    /// The client settings this endpoint gives for `model`; checks the URL and that the key's variable is set.
    public func settings(model: String) throws -> EndpointSettings {
        try EndpointSettings.make(endpoint: endpoint, model: model, apiKeyVariable: apiKeyEnv, concurrency: concurrency,
                                  timeoutSeconds: timeoutSeconds, retries: retries)
    }
}
