// Several answers to one prompt from a model on another machine: one request with OpenAI's `n` where the server takes
// it, and what it did not send asked one at a time with seed + c, so every server gives answer c from seed + c.
import Foundation
import Pipeline
import SemiInstructCLI
import TestSupport
import Testing
import Tokenizers

@Suite(.serialized) struct RemoteAnswerCountTests {
    let log: URL
    let server: FakeOpenAIServer

    init() throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("si-answers-\(UUID().uuidString).jsonl")
        server = try FakeOpenAIServer(log: log)
    }

    func generator(_ behaviour: String, server kind: String) throws -> RemoteChatGenerator {
        var endpoint = Recipe.Endpoint(endpoint: server.base)
        endpoint.server = kind
        endpoint.concurrency = 1
        endpoint.retries = 0
        return try RemoteChatGenerator(model: FakeOpenAIServer.model(behaviour), endpoint: endpoint)
    }

    static let requests = [100, 200].map { seed in
        ChatRequest(messages: [ChatMessage(role: .user, content: "say something")], maxTokens: 8, temperature: 0.7, topP: 0.95,
                    topK: 40, seed: UInt64(seed))
    }

    /// Each request's `n` (nil when absent) and seed, as the server saw them.
    func sent() throws -> [(n: Int?, seed: Int)] {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map { line in
            let body = (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["body"] as? [String: Any] ?? [:]
            return (body["n"] as? Int, body["seed"] as? Int ?? -1)
        }
    }

    static let expected = [[100, 101, 102], [200, 201, 202]].map { $0.map { "answer from seed \($0)" } }

    @Test func aServerThatTakesNGetsOneRequestPerPromptAndTheAnswersInOrder() async throws {
        let answers = try await generator("choices", server: "vllm").generate(Self.requests, answers: 3)
        #expect(answers.map { $0.map(\.text) } == Self.expected)
        #expect(try sent().map(\.n) == [3, 3] && sent().map(\.seed) == [100, 200])
        // The usage covers all three answers: 13 completion tokens shared 5, 4, 4; the prompt is each answer's.
        #expect(answers[0].map(\.completionTokens) == [5, 4, 4] && answers[0].allSatisfy { $0.promptTokens == 10 })
    }

    @Test func answersAServerLeftOutAreAskedOneAtATimeWithTheirSeeds() async throws {
        let answers = try await generator("one-choice", server: "vllm").generate(Self.requests, answers: 3)
        #expect(answers.map { $0.map(\.text) } == Self.expected)
        let sent = try sent()
        #expect(sent.map(\.n) == [3, nil, nil, 3, nil, nil] && sent.map(\.seed) == [100, 101, 102, 200, 201, 202], "\(sent)")
    }

    @Test func aServerThatRefusesNIsNotAskedWithItAgain() async throws {
        let answers = try await generator("refuses-n", server: "vllm").generate(Self.requests, answers: 3)
        #expect(answers.map { $0.map(\.text) } == Self.expected)
        #expect(answers.joined().allSatisfy { $0.failure == nil })
        let sent = try sent()
        // The first prompt's `n` was refused; the second prompt's answers never ask with it.
        #expect(sent.map(\.n) == [3, nil, nil, nil, nil, nil, nil] && sent.dropFirst().map(\.seed) == [100, 101, 102, 200, 201, 202], "\(sent)")
    }

    @Test func llamaCppIsNeverSentN() async throws {
        let answers = try await generator("choices", server: "llama.cpp").generate(Self.requests, answers: 3)
        #expect(answers.map { $0.map(\.text) } == Self.expected)
        #expect(try sent().allSatisfy { $0.n == nil } && sent().count == 6)
    }

    @Test func oneAnswerIsAPlainRequest() async throws {
        let answers = try await generator("choices", server: "vllm").generate(Self.requests)
        #expect(answers.map(\.text) == ["answer from seed 100", "answer from seed 200"])
        #expect(try sent().allSatisfy { $0.n == nil })
    }
}
