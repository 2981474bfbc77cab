// A client of one OpenAI-compatible endpoint: chat completions and embeddings, each request retried by the
// policy, at most `concurrency` requests in flight at once (callers share one client).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

public struct EndpointSettings: Sendable, Equatable {
    /// The API's base, e.g. http://gpu-box:8000/v1.
    public var baseURL: URL
    public var model: String
    /// Read from the environment when the client is made; never written anywhere.
    public var apiKey: String?
    public var concurrency: Int
    public var timeoutSeconds: Double
    public var retry: RetryPolicy

    public init(baseURL: URL, model: String, apiKey: String?, concurrency: Int, timeoutSeconds: Double, retry: RetryPolicy) {
        self.baseURL = baseURL; self.model = model; self.apiKey = apiKey; self.concurrency = max(1, concurrency)
        self.timeoutSeconds = timeoutSeconds; self.retry = retry
    }

    /// An http(s) URL with a host, or nil: what an endpoint must be (recipes are checked with this when they load).
    public static func baseURL(_ endpoint: String) -> URL? {
        guard let url = URL(string: endpoint), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            return nil
        }
        return url
    }

    /// `endpoint` as a recipe gives it, the key from the environment variable it names.
    public static func make(endpoint: String, model: String, apiKeyVariable: String?, concurrency: Int, timeoutSeconds: Double,
                            retries: Int, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(RemoteModelError) -> EndpointSettings {
        guard let url = baseURL(endpoint) else { throw .invalidEndpoint(endpoint) }
        var key: String?
        if let apiKeyVariable {
            guard let value = environment[apiKeyVariable], !value.isEmpty else { throw .missingAPIKey(variable: apiKeyVariable) }
            key = value
        }
        return EndpointSettings(baseURL: url, model: model, apiKey: key, concurrency: concurrency, timeoutSeconds: timeoutSeconds,
                                retry: RetryPolicy(retries: retries))
    }
}

public final class OpenAIClient: Sendable {
    public let settings: EndpointSettings
    let session: URLSession
    /// Retries made so far, over every request (for progress).
    private let counters = Counters()

    public init(_ settings: EndpointSettings) {
        self.settings = settings
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = settings.timeoutSeconds
        configuration.httpMaximumConnectionsPerHost = settings.concurrency
        session = URLSession(configuration: configuration)
    }

    public var retriesMade: Int { counters.retries }

    public func chat(_ request: ChatCompletionRequest) async throws(RemoteModelError) -> ChatCompletionResponse {
        let answer = try await post("chat/completions", request, as: ChatCompletionResponse.self)
        guard !answer.choices.isEmpty else {
            throw .malformedResponse(url: url("chat/completions").absoluteString, attempts: 1, detail: "no choices")
        }
        return answer
    }

    /// One vector per text, in order (the server may answer in any order; `index` says which).
    public func embeddings(_ texts: [String]) async throws(RemoteModelError) -> [[Float]] {
        let answer = try await post("embeddings", EmbeddingRequest(model: settings.model, input: texts), as: EmbeddingResponse.self)
        let sorted = answer.data.sorted { $0.index < $1.index }
        guard sorted.map(\.index) == Array(texts.indices) else {
            throw .malformedResponse(url: url("embeddings").absoluteString, attempts: 1,
                                     detail: "\(answer.data.count) embeddings for \(texts.count) texts")
        }
        return sorted.map(\.embedding)
    }

    public func url(_ path: String) -> URL { settings.baseURL.appendingPathComponent(path) }

    func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, as: Answer.Type) async throws(RemoteModelError) -> Answer {
        let target = url(path)
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.timeoutInterval = settings.timeoutSeconds
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let key = settings.apiKey { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        do { request.httpBody = try JSONEncoder().encode(body) } catch {
            throw .failed(url: target.absoluteString, status: 0, attempts: 0, message: "cannot encode the request: \(error)")
        }
        let attempts = settings.retry.retries + 1
        var last = RemoteModelError.failed(url: target.absoluteString, status: 0, attempts: 0, message: "not sent")
        for attempt in 0..<attempts {
            if attempt > 0 { counters.retried() }
            var retryAfter: String?
            do {
                let (data, response) = try await Self.send(request, on: session)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                retryAfter = (response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Retry-After")
                let text = String(decoding: data.prefix(2000), as: UTF8.self)
                switch status {
                case 200..<300:
                    do { return try JSONDecoder().decode(Answer.self, from: data) } catch {
                        last = .malformedResponse(url: target.absoluteString, attempts: attempt + 1, detail: "\(error): \(text.prefix(300))")
                    }
                case 401, 403:
                    throw RemoteModelError.unauthorized(url: target.absoluteString, status: status, message: Self.message(text))
                case 404 where text.localizedCaseInsensitiveContains("model"):
                    throw RemoteModelError.unknownModel(url: target.absoluteString, model: settings.model, message: Self.message(text))
                case 404:
                    throw RemoteModelError.notFound(url: target.absoluteString, message: Self.message(text))
                case let transient where RetryPolicy.isTransient(status: transient):
                    last = .failed(url: target.absoluteString, status: status, attempts: attempt + 1, message: Self.message(text))
                default:
                    throw RemoteModelError.failed(url: target.absoluteString, status: status, attempts: attempt + 1, message: Self.message(text))
                }
            } catch let error as RemoteModelError {
                throw error
            } catch {
                last = .failed(url: target.absoluteString, status: 0, attempts: attempt + 1, message: error.localizedDescription)
            }
            guard attempt + 1 < attempts else { break }
            let pause = settings.retry.delay(retry: attempt, retryAfter: retryAfter, unit: Double.random(in: 0..<1))
            try? await Task.sleep(nanoseconds: UInt64(pause * 1e9))
        }
        throw last
    }

    /// Sends outside the caller's task, so the caller's cancellation never reaches URLSession: cancelling a request
    /// while it completes deadlocks FoundationNetworking on Linux. A cancelled caller waits for the answer (bounded by
    /// the timeout) instead.
    static func send(_ request: URLRequest, on session: URLSession) async throws -> (Data, URLResponse) {
        try await Task { try await session.data(for: request) }.value
    }

    /// The error object's message when the body is one, else the body itself.
    static func message(_ text: String) -> String {
        if let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(text.utf8)), let message = body.error?.message {
            return message
        }
        return text.isEmpty ? "(empty body)" : String(text.prefix(300))
    }
}

/// Thread-safe counts a client keeps.
final class Counters: @unchecked Sendable {
    private let lock = NSLock()
    private var retryCount = 0
    var retries: Int { lock.withLock { retryCount } }
    func retried() { lock.withLock { retryCount += 1 } }
}
