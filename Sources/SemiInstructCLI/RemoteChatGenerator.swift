// A model on another machine as the pipeline's generator, through its OpenAI-compatible API. Constraints are not
// sent yet: the stages ask without them and parse liberally, as for any generator that cannot constrain.
import Foundation
import Pipeline
import RemoteModels

public final class RemoteChatGenerator: ChatGenerator {
    public let client: OpenAIClient
    public var modelName: String { client.settings.model }

    public init(model: String, endpoint: Recipe.Endpoint) throws {
        client = OpenAIClient(try Self.settings(model: model, endpoint: endpoint))
    }

    /// The client settings a recipe's endpoint gives; checks the URL and that the key's variable is set.
    public static func settings(model: String, endpoint: Recipe.Endpoint) throws -> EndpointSettings {
        try EndpointSettings.make(endpoint: endpoint.endpoint, model: model, apiKeyVariable: endpoint.apiKeyEnv,
                                  concurrency: endpoint.concurrency, timeoutSeconds: endpoint.timeoutSeconds, retries: endpoint.retries)
    }

    /// At most the endpoint's concurrency in flight, replies in the order of `requests`. A request that still fails
    /// after its retries is that sample's failure; a refused key or an unknown model stops the run.
    public func generate(_ requests: [ChatRequest]) async throws -> [ChatReply] {
        try await withThrowingTaskGroup(of: (Int, ChatReply).self) { group in
            var replies = [ChatReply?](repeating: nil, count: requests.count)
            var next = 0
            func submit() {
                let index = next
                next += 1
                group.addTask { (index, try await self.reply(to: requests[index])) }
            }
            for _ in 0..<min(client.settings.concurrency, requests.count) { submit() }
            while let (index, reply) = try await group.next() {
                replies[index] = reply
                if next < requests.count { submit() }
            }
            return replies.map { $0! }
        }
    }

    func reply(to request: ChatRequest) async throws -> ChatReply {
        let start = DispatchTime.now()
        let body = ChatCompletionRequest(
            model: client.settings.model, messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content) },
            maxTokens: request.maxTokens, temperature: request.temperature, topP: request.topP,
            // Servers read the seed as a (often 32-bit) integer; the low bits keep it reproducible.
            seed: request.seed & 0x7fff_ffff, stop: request.stop.isEmpty ? nil : request.stop)
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
