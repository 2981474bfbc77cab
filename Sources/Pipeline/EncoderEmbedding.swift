// The embedded engine as the pipeline's embedder: the BERT sentence encoder (`minilm` or a
// sentence-transformers directory), or a decoder (`smollm2`, a GGUF file) through the mean of its last hidden states.
import Engine
import Foundation
import ModelFiles

public final class EncoderEmbedding: TextEmbedding, @unchecked Sendable {
    let embedder: any Embedder
    public let modelName: String

    public init(model: String) throws {
        let cached = ModelCache.model(named: model)
        if cached?.purpose == "generator" || model.hasSuffix(".gguf") {
            embedder = DecoderEmbedder(try ModelLoader.load(model, threads: ProcessInfo.processInfo.activeProcessorCount))
        } else {
            let directory = cached.map { ModelCache.directory(of: $0) } ?? URL(fileURLWithPath: (model as NSString).expandingTildeInPath)
            embedder = try BERTEmbedder(directory: directory)
        }
        modelName = model
    }

    /// Finds the model `init(model:)` would load, without loading it.
    public static func locate(_ model: String) throws {
        let cached = ModelCache.model(named: model)
        if cached?.purpose == "generator" || model.hasSuffix(".gguf") {
            _ = try ModelLoader.resolve(model)
        } else {
            _ = try BERTEmbedder.resolve(model)
        }
    }

    public func embed(_ texts: [String]) throws -> [[Float]] { try embedder.embed(texts) }
}
