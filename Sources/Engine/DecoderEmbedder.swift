// A decoder model as a sentence embedder: the mean over the text's tokens of the last hidden state
// (after the final RMSNorm), L2-normalised. Lets a user embed with the generator itself (e.g. Abacus).
import Kernels
import Tokenizers

public final class DecoderEmbedder: Embedder, @unchecked Sendable {
    public let loaded: LoadedModel
    /// Longer texts are cut to their first `maxTokens` tokens.
    public let maxTokens: Int

    public let name: String
    public var dimension: Int { loaded.config.hiddenSize }

    /// `name` defaults to the model file's path.
    public init(_ loaded: LoadedModel, maxTokens: Int = 512, name: String? = nil) {
        self.loaded = loaded
        self.name = name ?? loaded.file.path
        self.maxTokens = max(1, maxTokens)
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        texts.map(embed)
    }

    func embed(_ text: String) -> [Float] {
        let hidden = loaded.config.hiddenSize
        var ids = Array(loaded.tokenizer.encode(text).prefix(maxTokens))
        // An empty text still gets a defined vector: the one of the beginning-of-sequence token.
        if ids.isEmpty { ids = [loaded.tokenizer.bosID ?? 0] }
        let session = loaded.model.makeSession(capacity: ids.count, precision: .float)
        var sum = [Double](repeating: 0, count: hidden)
        for state in session.hiddenStates(ids) {
            for i in 0..<hidden { sum[i] += Double(state[i]) }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { Float(norm > 0 ? $0 / norm : 0) }
    }
}
