// The client of an OpenAI-compatible endpoint against a fault-injecting server on loopback: each failure is retried,
// refused or reported as the API and the recipe say, and a success reads the answer whatever the order.
import Foundation
import RemoteModels
import TestSupport
import Testing

@Suite(.serialized) struct OpenAIClientTests {
    let server: FakeOpenAIServer

    init() throws { server = try FakeOpenAIServer() }

    func client(_ behaviour: String, retries: Int = 3, timeout: Double = 20, key: String? = nil) throws -> OpenAIClient {
        let settings = try EndpointSettings.make(endpoint: server.base, model: FakeOpenAIServer.model(behaviour),
                                                 apiKeyVariable: key == nil ? nil : "TEST_KEY", concurrency: 4,
                                                 timeoutSeconds: timeout, retries: retries,
                                                 environment: key.map { ["TEST_KEY": $0] } ?? [:])
        return OpenAIClient(settings)
    }

    func ask(_ client: OpenAIClient, _ text: String = "hello there") async throws(RemoteModelError) -> ChatCompletionResponse {
        try await client.chat(ChatCompletionRequest(model: client.settings.model, messages: [.init(role: "user", content: text)],
                                                    maxTokens: 16, temperature: 0, topP: 1, seed: 7, stop: nil))
    }

    @Test func anAnswerIsReadWithItsUsage() async throws {
        let answer = try await ask(try client("echo"))
        #expect(answer.choices.first?.message.content == "echo: hello there")
        #expect(answer.usage?.promptTokens == 2 && answer.usage?.completionTokens == 3)
    }

    @Test func whatIsSentIsTheOpenAIRequestAndTheKeyOnlyInItsHeader() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fake-openai-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: log) }
        let logged = try FakeOpenAIServer(log: log)
        let settings = try EndpointSettings.make(endpoint: logged.base, model: FakeOpenAIServer.model("needs-key"), apiKeyVariable: "K",
                                                 concurrency: 1, timeoutSeconds: 5, retries: 0, environment: ["K": "sesame"])
        _ = try await OpenAIClient(settings).chat(ChatCompletionRequest(
            model: settings.model, messages: [.init(role: "system", content: "be brief"), .init(role: "user", content: "add")],
            maxTokens: 32, temperature: 0.7, topP: 0.95, seed: 42, stop: ["```\n"]))
        let line = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
        let sent = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        #expect(sent["path"] as? String == "/v1/chat/completions")
        let body = sent["body"] as? [String: Any] ?? [:]
        #expect(body["model"] as? String == settings.model && body["max_tokens"] as? Int == 32 && body["seed"] as? Int == 42)
        #expect(body["temperature"] as? Double == 0.7 && body["top_p"] as? Double == 0.95 && body["stop"] as? [String] == ["```\n"])
        #expect((body["messages"] as? [[String: String]])?.map { $0["role"] ?? "" } == ["system", "user"])
        #expect(!line.contains("sesame"), "the key travels in the Authorization header only")
    }

    @Test func aBusyServerIsAskedAgainAfterTheWaitItGives() async throws {
        let busy = try client("busy-once")
        let start = Date()
        let answer = try await ask(busy)
        #expect(answer.choices.first?.message.content == "echo: hello there")
        #expect(busy.retriesMade == 1)
        #expect(Date().timeIntervalSince(start) >= 0.95, "Retry-After: 1 is honoured")
    }

    @Test func serverErrorsAreRetriedUpToTheLimit() async throws {
        let enough = try client("fail-twice", retries: 2)
        #expect(try await ask(enough).choices.first?.message.content == "echo: hello there")
        #expect(enough.retriesMade == 2)
        let tooFew = try client("fail-twice", retries: 1)
        await #expect(throws: RemoteModelError.failed(url: server.base + "/chat/completions", status: 500, attempts: 2,
                                                      message: "internal error 2")) {
            _ = try await ask(tooFew)
        }
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        let dropping = try client("drop-once")
        #expect(try await ask(dropping).choices.first?.message.content == "echo: hello there")
        #expect(dropping.retriesMade == 1)
    }

    @Test func aSlowAnswerPastTheTimeoutFailsTheRequest() async throws {
        let slow = try client("slow", retries: 0, timeout: 1)
        let error = await #expect(throws: RemoteModelError.self) { _ = try await ask(slow) }
        guard case let .failed(_, status, attempts, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(status == 0 && attempts == 1)
        #expect(error?.stopsTheRun == false)
    }

    @Test func aBodyThatIsNotJSONIsMalformedAfterEveryAttempt() async throws {
        let error = await #expect(throws: RemoteModelError.self) { _ = try await ask(try client("malformed", retries: 1)) }
        guard case let .malformedResponse(_, attempts, _) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(attempts == 2)
    }

    @Test func aBadRequestIsNotRetried() async throws {
        let refused = try client("bad-request")
        await #expect(throws: RemoteModelError.failed(url: server.base + "/chat/completions", status: 400, attempts: 1,
                                                      message: "max_tokens must be positive")) {
            _ = try await ask(refused)
        }
        #expect(refused.retriesMade == 0)
    }

    @Test func aRefusedKeyAndAnUnknownModelStopTheRun() async throws {
        let noKey = await #expect(throws: RemoteModelError.self) { _ = try await ask(try client("needs-key")) }
        #expect(noKey == .unauthorized(url: server.base + "/chat/completions", status: 401, message: "invalid API key"))
        #expect(noKey?.stopsTheRun == true)
        #expect(try await ask(try client("needs-key", key: "sesame")).choices.count == 1)
        let unknown = await #expect(throws: RemoteModelError.self) { _ = try await ask(try client("no-such-model")) }
        guard case .unknownModel = unknown else { Issue.record("\(String(describing: unknown))"); return }
        #expect(unknown?.stopsTheRun == true)
        // A base URL without the API's path: every request would 404, so the run stops.
        let settings = try EndpointSettings.make(endpoint: "http://127.0.0.1:\(server.port)/wrong", model: FakeOpenAIServer.model("echo"),
                                                 apiKeyVariable: nil, concurrency: 1, timeoutSeconds: 5, retries: 2)
        let lost = await #expect(throws: RemoteModelError.self) { _ = try await ask(OpenAIClient(settings)) }
        guard case .notFound = lost else { Issue.record("\(String(describing: lost))"); return }
    }

    @Test func embeddingsComeBackInTheOrderOfTheTexts() async throws {
        let vectors = try await client("echo").embeddings(["a", "abc", "ab"])
        #expect(vectors == [[1, 1], [3, 1], [2, 1]])
    }

    @Test func anEndpointAndItsKeyAreCheckedBeforeAnyRequest() throws {
        #expect(throws: RemoteModelError.invalidEndpoint("gpu-box:8000/v1")) {
            try EndpointSettings.make(endpoint: "gpu-box:8000/v1", model: "m", apiKeyVariable: nil, concurrency: 1,
                                      timeoutSeconds: 1, retries: 0)
        }
        #expect(throws: RemoteModelError.missingAPIKey(variable: "NO_SUCH_KEY_VARIABLE")) {
            try EndpointSettings.make(endpoint: "http://gpu-box:8000/v1", model: "m", apiKeyVariable: "NO_SUCH_KEY_VARIABLE",
                                      concurrency: 1, timeoutSeconds: 1, retries: 0, environment: [:])
        }
    }
}

@Suite struct RetryPolicyTests {
    @Test func retryAfterIsHonouredAndCapped() {
        let policy = RetryPolicy(retries: 3, baseSeconds: 0.5, capSeconds: 30)
        #expect(policy.delay(retry: 0, retryAfter: "2", unit: 0.9) == 2)
        #expect(policy.delay(retry: 0, retryAfter: "600", unit: 0.9) == 30)
    }

    @Test func withoutRetryAfterTheWaitDoublesWithJitter() {
        let policy = RetryPolicy(retries: 5, baseSeconds: 0.5, capSeconds: 4)
        #expect(policy.delay(retry: 0, retryAfter: nil, unit: 0) == 0.25)
        #expect(policy.delay(retry: 0, retryAfter: nil, unit: 0.999) < 0.5)
        #expect(policy.delay(retry: 2, retryAfter: nil, unit: 0) == 1)
        #expect(policy.delay(retry: 10, retryAfter: nil, unit: 0) == 2, "capped at capSeconds before the jitter")
        #expect(policy.delay(retry: 1, retryAfter: "soon", unit: 0) == 0.5, "an unreadable Retry-After falls back")
        #expect(RetryPolicy.isTransient(status: 429) && RetryPolicy.isTransient(status: 503) && !RetryPolicy.isTransient(status: 400))
    }
}
