// The embedded sentence encoder as the pipeline's embedder.
import Engine
import Foundation
import ModelFiles

public final class EncoderEmbedding: TextEmbedding, @unchecked Sendable {
    let embedder: BERTEmbedder
    public let modelName: String

    /// `model` is a sentence-transformers directory or the cached short name `minilm`.
    public init(model: String) throws {
        let directory: URL
        if let cached = ModelCache.model(named: model) {
            directory = ModelCache.directory(of: cached)
        } else {
            directory = URL(fileURLWithPath: (model as NSString).expandingTildeInPath)
        }
        embedder = try BERTEmbedder(directory: directory)
        modelName = model
    }

    public func embed(_ texts: [String]) throws -> [[Float]] { try embedder.embed(texts) }
}
