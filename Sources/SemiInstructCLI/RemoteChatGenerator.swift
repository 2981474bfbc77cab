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
    let singles = SingleAnswers()

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
        try await generate(requests, answers: 1).map { $0[0] }
    }

    /// `count` answers per request: one request with `n` where the server takes it, and the answers it did not send
    /// (a server that ignores `n`, or refuses it) asked one at a time with seed + c.
    public func generate(_ requests: [ChatRequest], answers count: Int) async throws -> [[ChatReply]] {
        let start = DispatchTime.now()
        let retriesBefore = client.retriesMade, singlesBefore = singles.count
        let replies = try await replies(to: requests, answers: max(1, count))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let all = replies.joined()
        let tokens = all.reduce(0) { $0 + $1.completionTokens }
        let failed = all.filter { $0.failure != nil }.count
        let refusal = singles.refusal.map { "; `n` refused (\($0)), so answers go one at a time" } ?? ""
        let each = count > 1 ? "\(count) answers each (\(singles.count - singlesBefore) asked one at a time\(refusal))" : ""
        report(String(format: "%@: %d requests%@%@ (up to %d at once), %d failed, %d retried, %d tokens in %.1f s (%.1f tokens/s)",
                      client.url("chat/completions").absoluteString, requests.count, each.isEmpty ? "" : " of ", each, min(requests.count, client.settings.concurrency),
                      failed, client.retriesMade - retriesBefore, tokens, seconds, seconds > 0 ? Double(tokens) / seconds : 0))
        return replies
    }

    /// Every request runs to its end before an error that stops the run is thrown, so no sample's answer is lost to a
    /// sibling's error (the client never lets cancellation reach URLSession either: see `OpenAIClient.send`).
    func replies(to requests: [ChatRequest], answers count: Int) async throws -> [[ChatReply]] {
        let (replies, stop) = await withTaskGroup(of: Answered.self) { group in
            var replies = [[ChatReply]](repeating: [.failed("not asked")], count: requests.count)
            var stop: RemoteModelError?
            var submitted = 0, finished = 0
            while finished < requests.count {
                // Keep the window full, then take the next finished request.
                while submitted < requests.count && submitted - finished < client.settings.concurrency {
                    let index = submitted, request = requests[index]
                    group.addTask { await self.answer(request, count: count, index: index) }
                    submitted += 1
                }
                guard let answered = await group.next() else { break }
                replies[answered.index] = answered.replies
                stop = stop ?? answered.stop
                finished += 1
            }
            return (replies, stop)
        }
        if let stop { throw stop }
        return replies
    }

    /// One request's replies, or the error that stops the run.
    struct Answered: Sendable {
        var index: Int
        var replies: [ChatReply]
        var stop: RemoteModelError?
    }

    func answer(_ request: ChatRequest, count: Int, index: Int) async -> Answered {
        do {
            return Answered(index: index, replies: try await replies(to: request, count: count))
        } catch let error as RemoteModelError {
            return Answered(index: index, replies: Array(repeating: .failed(error.localizedDescription), count: count), stop: error)
        } catch {
            return Answered(index: index, replies: Array(repeating: .failed(error.localizedDescription), count: count))
        }
    }

    /// `count` replies to one request; a failure that does not stop the run is the reply's (every answer's).
    func replies(to request: ChatRequest, count: Int) async throws -> [ChatReply] {
        let start = DispatchTime.now()
        var answers: [ChatReply] = []
        var refused: String?
        if count == 1 || (server.takesAnswerCount && singles.refusal == nil) {
            do {
                let answer = try await client.chat(body(request, answers: count))
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                answers = Self.split(answer, upTo: count, seconds: seconds)
            } catch {
                if error.stopsTheRun { throw error }
                // A bad request that asked several answers may be a server that refuses `n`: the answers go one at a time.
                guard count > 1, case .failed(_, 400, _, _) = error else {
                    return Array(repeating: .failed(error.localizedDescription), count: count)
                }
                refused = error.localizedDescription
            }
        }
        if let refused { singles.refuse(because: refused) }
        for single in request.answers(count).dropFirst(answers.count) {
            singles.askedOne()
            answers.append(try await replies(to: single, count: 1)[0])
        }
        return answers
    }

    func body(_ request: ChatRequest, answers count: Int) -> ChatCompletionRequest {
        var body = ChatCompletionRequest(
            model: client.settings.model, messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content) },
            maxTokens: request.maxTokens, temperature: request.temperature, topP: request.topP, seed: nil,
            stop: request.stop.isEmpty ? nil : request.stop)
        if count > 1 { body.n = count }
        // A grammar built from a JSON schema or a regex has no GBNF text, and one llama.cpp cannot read (a repeat past
        // its limit) cannot be sent: that request goes unconstrained, and its answer is parsed as it comes.
        let grammar = try? request.constraint?.gbnf
        server.shape(&body, grammar: grammar ?? nil, topK: request.topK, seed: request.seed)
        return body
    }

    /// The answers in order of their index, at most `count`; usage and time, which cover them all, shared evenly.
    static func split(_ answer: ChatCompletionResponse, upTo count: Int, seconds: Double) -> [ChatReply] {
        let choices = answer.choices.enumerated().sorted { ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset) }
            .prefix(count).map(\.element)
        let completion = answer.usage?.completionTokens ?? 0
        return choices.enumerated().map { position, choice in
            ChatReply(text: choice.message.content, promptTokens: answer.usage?.promptTokens ?? 0,
                      completionTokens: completion / choices.count + (position < completion % choices.count ? 1 : 0),
                      seconds: seconds / Double(choices.count))
        }
    }
}

/// Answers asked one at a time because the server sent fewer than `n`, and whether it refused `n` outright (then no
/// later request sends it).
final class SingleAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var asked = 0, reason: String?
    var count: Int { lock.withLock { asked } }
    var refusal: String? { lock.withLock { reason } }
    func askedOne() { lock.withLock { asked += 1 } }
    func refuse(because reason: String) { lock.withLock { self.reason = self.reason ?? reason } }
}

extension Recipe.Endpoint {
    /// The client settings this endpoint gives for `model`; checks the URL and that the key's variable is set.
    public func settings(model: String) throws -> EndpointSettings {
        try EndpointSettings.make(endpoint: endpoint, model: model, apiKeyVariable: apiKeyEnv, concurrency: concurrency,
                                  timeoutSeconds: timeoutSeconds, retries: retries)
    }
}
