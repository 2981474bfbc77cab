// A decoder model as a sentence embedder: the mean over the text's tokens of the last hidden state
// (after the final RMSNorm), L2-normalised. Lets a user embed with the generator itself (e.g. Abacus).
import Kernels
import Tokenizers

public final class DecoderEmbedder: Embedder, @unchecked Sendable {
    public let loaded: LoadedModel
    /// Longer texts are cut to their first `maxTokens` tokens.
    public let maxTokens: Int
    let precision: ActivationPrecision

    public let name: String
    public var dimension: Int { loaded.config.hiddenSize }

    /// `name` defaults to the model file's path.
    public init(_ loaded: LoadedModel, maxTokens: Int = 512, precision: ActivationPrecision = .float, name: String? = nil) {
        self.loaded = loaded
        self.name = name ?? loaded.file.path
        self.maxTokens = max(1, maxTokens)
        self.precision = precision
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        texts.map(embed)
    }

    func embed(_ text: String) -> [Float] {
        let hidden = loaded.config.hiddenSize
        var ids = Array(loaded.tokenizer.encode(text).prefix(maxTokens))
        // An empty text still gets a defined vector: the one of the beginning-of-sequence token.
        if ids.isEmpty { ids = [loaded.tokenizer.bosID ?? 0] }
        let session = loaded.model.makeSession(capacity: ids.count, precision: precision)
        var sum = [Double](repeating: 0, count: hidden)
        let normed = UnsafeMutablePointer<Float>.allocate(capacity: hidden)
        defer { normed.deallocate() }
        loaded.model.weights.outputNorm.withUnsafeBufferPointer { weight in
            for id in ids {
                session.step(id, computeLogits: false)
                Ops.rmsNorm(session.x, weight: weight.baseAddress!, epsilon: loaded.config.rmsNormEpsilon, count: hidden, into: normed)
                for i in 0..<hidden { sum[i] += Double(normed[i]) }
            }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { Float(norm > 0 ? $0 / norm : 0) }
    }
}
