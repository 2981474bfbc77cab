// A model on another machine as the embedder, through its OpenAI-compatible `/embeddings`. Its name says where it
// runs, so a run's stored vectors are never mixed with those of a local model of the same name.
import Engine
import Foundation
import Pipeline
import RemoteModels

public final class RemoteEmbedder: Embedder, @unchecked Sendable {
    let client: OpenAIClient
    public let name: String
    /// Texts per request: servers bound a request's inputs (OpenAI at 2048, ours too).
    static let batch = 64
    private let lock = NSLock()
    private var knownDimension: Int?

    public init(model: String, endpoint: Recipe.Endpoint) throws {
        client = OpenAIClient(try endpoint.settings(model: model))
        name = "\(model) at \(endpoint.endpoint)"
    }

    /// Learnt from the first answer (or asked for with one text when nothing was embedded yet); 0 if the server fails.
    public var dimension: Int {
        if let known = lock.withLock({ knownDimension }) { return known }
        return (try? embed(["dimension"]).first?.count) ?? 0
    }

    public func embedding(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        for start in stride(from: 0, to: texts.count, by: Self.batch) {
            vectors += try await client.embeddings(Array(texts[start..<min(start + Self.batch, texts.count)]))
        }
        if let first = vectors.first { lock.withLock { knownDimension = first.count } }
        return vectors
    }

    /// For callers outside async code; it blocks the calling thread until the answers are in.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        try Self.waiting { [self] in try await embedding(texts) }
    }

    static func waiting<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            box.result = await Result(catching: { try await work() })
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

/// What the detached task hands back to the waiting thread (written before the semaphore is signalled).
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
