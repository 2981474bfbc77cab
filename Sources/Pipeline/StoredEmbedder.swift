// The embedder a run's stored vectors came from, known by name and size: loaded only if a vector is missing, so a
// merge of shards (which embedded their own samples) or a resumed SemDeDup loads no model.
import Engine
import Foundation
import Store

final class StoredEmbedder: Embedder, @unchecked Sendable {
    let name: String
    let dimension: Int
    private let load: @Sendable () throws -> any Embedder
    private let lock = NSLock()
    private var loaded: (any Embedder)?

    init(name: String, dimension: Int, load: @escaping @Sendable () throws -> any Embedder) {
        self.name = name; self.dimension = dimension; self.load = load
    }

    func embed(_ texts: [String]) throws -> [[Float]] { try model().embed(texts) }
    func embedding(_ texts: [String]) async throws -> [[Float]] { try await model().embedding(texts) }

    private func model() throws -> any Embedder {
        try lock.withLock {
            if let loaded { return loaded }
            let model = try load()
            guard model.name == name, model.dimension == dimension else {
                throw PipelineError.model("the run's embeddings come from \(name) (\(dimension) dimensions), the recipe's embedder is "
                                          + "\(model.name) (\(model.dimension)): vectors of two models cannot be compared")
            }
            loaded = model
            return model
        }
    }

    /// Which recipe setting the stored name answers to: another embedder setting means other vectors.
    static func setting(_ recipe: Recipe) -> String {
        jsonText(["embedder": recipe.models.embedder, "endpoint": recipe.models.embedderEndpoint.map { jsonText($0) } ?? "local"])
    }

    /// Notes the embedder that made the run's vectors (meta `embedder.*`).
    static func record(_ embedder: any Embedder, recipe: Recipe, store: RunDatabase) throws {
        try store.setMeta("embedder.setting", setting(recipe))
        try store.setMeta("embedder.name", embedder.name)
        try store.setMeta("embedder.dimension", String(embedder.dimension))
    }

    /// The recorded embedder of a run made with the same embedder setting, loaded through `load` when needed; nil when
    /// none is recorded.
    static func recorded(recipe: Recipe, store: RunDatabase, load: @escaping @Sendable () throws -> any Embedder) throws -> StoredEmbedder? {
        guard try store.meta("embedder.setting") == setting(recipe), let name = try store.meta("embedder.name"),
              let dimension = try store.meta("embedder.dimension").flatMap(Int.init) else { return nil }
        return StoredEmbedder(name: name, dimension: dimension, load: load)
    }
}
