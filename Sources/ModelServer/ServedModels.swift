// The models one server answers for: a generator (chat and text completions) and an embedder, either or both.
// The engine's calls block, so they run on threads of their own, never on the server's event loops or the
// concurrency pool: requests handed in meanwhile join the running batch.
import Engine
import Foundation
import Tokenizers

public final class ServedModels: Sendable {
    public struct Generator: Sendable {
        /// The name clients send as `model` (what the user typed to `serve`).
        public var name: String
        public var engine: LlamaGenerator
        public init(name: String, engine: LlamaGenerator) { self.name = name; self.engine = engine }
    }

    public let generator: Generator?
    public let embedder: (any Embedder)?
    /// Embedders need not be thread-safe: one embeds at a time.
    private let embedLock = NSLock()

    public init(generator: Generator?, embedder: (any Embedder)?) {
        precondition(generator != nil || embedder != nil, "a server needs a model")
        self.generator = generator
        self.embedder = embedder
    }

    public var names: [String] { [generator?.name, embedder?.name].compactMap { $0 } }

    /// The generator a request names (or the only one, when it names none).
    func generator(named name: String?) throws(APIError) -> Generator {
        guard let generator else {
            throw APIError(.notFound, "This server only embeds (\(names.joined(separator: ", "))); it has no model for completions",
                           param: "model", code: "model_not_found")
        }
        if let name, name != generator.name { throw .unknownModel(name, served: names) }
        return generator
    }

    func embedder(named name: String?) throws(APIError) -> any Embedder {
        guard let embedder else {
            throw APIError(.notFound, "This server has no embedding model; start it with --embedder", param: "model", code: "model_not_found")
        }
        if let name, name != embedder.name { throw .unknownModel(name, served: names) }
        return embedder
    }

    /// Runs the requests in the batch engine on a thread of their own; results in order.
    static func run(_ requests: [BatchRequest], on engine: LlamaGenerator) async -> [Result<GenerationResult, EngineError>] {
        await onThread { engine.run(requests) }
    }

    func embed(_ texts: [String], with embedder: any Embedder) async throws -> [[Float]] {
        try await Self.onThread { [embedLock] in
            Result { try embedLock.withLock { try embedder.embed(texts) } }
        }.get()
    }

    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            // The engine's kernels use more stack than a secondary thread's default.
            thread.stackSize = 16 << 20
            thread.start()
        }
    }
}
