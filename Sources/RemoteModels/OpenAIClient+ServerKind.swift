// Telling which server answers, once, before a run's first request: GET /models and read who owns the model.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension OpenAIClient {
    /// The server's kind from its model list; `openai` (no grammar sent) when the list does not say, with why.
    /// Synchronous, so it can run where the pipeline makes its generator; it waits at most the request timeout.
    public func detectServer() -> (kind: ServerKind, detail: String) {
        let target = url("models")
        var request = URLRequest(url: target)
        request.timeoutInterval = min(settings.timeoutSeconds, 30)
        if let key = settings.apiKey { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        let answer = Answer()
        let done = DispatchSemaphore(value: 0)
        // A completion handler, not async/await: the caller may be on the concurrency pool, which must not wait on itself.
        session.dataTask(with: request) { data, response, error in
            answer.set(data: data, status: (response as? HTTPURLResponse)?.statusCode ?? 0, error: error)
            done.signal()
        }.resume()
        done.wait()
        let (data, status, error) = answer.get()
        if let error { return (.openai, "\(target.absoluteString) did not answer (\(error.localizedDescription))") }
        guard status == 200, let data, let list = try? JSONDecoder().decode(ModelListResponse.self, from: data) else {
            return (.openai, "\(target.absoluteString) answered \(status) without a model list")
        }
        let entry = list.data.first { $0.id == settings.model } ?? list.data.first
        guard let owner = entry?.ownedBy else { return (.openai, "\(target.absoluteString) does not say who owns the model") }
        return (ServerKind(owner: owner), "owned_by \(owner)")
    }
}

/// What the detection request got, handed from URLSession's queue to the waiting caller.
private final class Answer: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?, status = 0, error: (any Error)?
    func set(data: Data?, status: Int, error: (any Error)?) { lock.withLock { self.data = data; self.status = status; self.error = error } }
    func get() -> (Data?, Int, (any Error)?) { lock.withLock { (data, status, error) } }
}
