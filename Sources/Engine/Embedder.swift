// The engine's embedding interface: texts in, one fixed-size vector per text out. The BERT encoder
// (`BERTEmbedder`) implements it, and so does a decoder (`DecoderEmbedder`, the mean of its last hidden states over
// the prompt tokens), so a user can embed with the generator itself.

public protocol Embedder: Sendable {
    /// Length of every vector `embed` returns.
    var dimension: Int { get }
    /// One vector per text, in the order of `texts`.
    func embed(_ texts: [String]) throws -> [[Float]]
}
