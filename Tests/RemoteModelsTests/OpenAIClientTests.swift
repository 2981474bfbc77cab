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
