// The one embedding interface of the product: texts in, one fixed-size vector per text out. The BERT sentence
// encoder (`BERTEmbedder`), a decoder (`DecoderEmbedder`, the mean of its last hidden states) and the model-free
// `HashingEmbedder` implement it; `EmbedderLoader` turns what a user types into one of them.

public protocol Embedder: Sendable {
    /// Names the model as the user gave it; keys the embedding caches (dedup's file, the run database).
    var name: String { get }
    /// Length of every vector `embed` returns.
    var dimension: Int { get }
    /// One vector per text, in the order of `texts`.
    func embed(_ texts: [String]) throws -> [[Float]]
    /// The same from async code; an embedder on another machine answers here without holding a thread while it waits.
    func embedding(_ texts: [String]) async throws -> [[Float]]
}

extension Embedder {
    public func embedding(_ texts: [String]) async throws -> [[Float]] { try embed(texts) }
}
