// The interface the pipeline embeds through: texts in, one fixed-size vector per text out.
//
// The BERT encoder (`BERTEmbedder`) implements it. A decoder model can implement it too, as the mean of its
// last hidden states over the prompt tokens (so a user can embed with the generator itself); that adapter
// belongs beside the decoder once it exists in this module.

public protocol Embedder: Sendable {
    /// Length of every vector `embed` returns.
    var dimension: Int { get }
    /// One vector per text, in the order of `texts`.
    func embed(_ texts: [String]) throws -> [[Float]]
}
