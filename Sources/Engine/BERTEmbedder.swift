// Sentence embeddings from a sentence-transformers BERT directory: tokenize, batch by length, encode, pool,
// normalise. Matches `SentenceTransformer(dir).encode(texts)` (all-MiniLM-L6-v2: mean pooling, L2 norm, 256 tokens).
import Foundation
import Kernels
import ModelFiles
import Tokenizers

public final class BERTEmbedder: Embedder {
    public let directory: URL
    public let configuration: SentenceTransformersConfig
    public let tokenizer: WordPieceTokenizer
    public let model: BERTModel
    /// Most tokens packed into one forward pass; bounds memory (the FFN buffer is tokens x intermediate floats).
    public let tokensPerBatch: Int

    public var dimension: Int { configuration.bert.hiddenSize }
    public var maxSequenceLength: Int { configuration.maxSequenceLength }

    public init(directory: URL, tokensPerBatch: Int = 4096) throws {
        self.directory = directory
        self.tokensPerBatch = max(tokensPerBatch, 1)
        do {
            configuration = try SentenceTransformersConfig(directory: directory)
            tokenizer = try WordPieceTokenizer.load(directory: directory)
            let checkpoint = try SafetensorsCheckpoint(directory: directory)
            model = try BERTModel(config: configuration.bert, checkpoint: checkpoint)
        } catch let error as BERTError {
            throw error
        } catch {
            throw BERTError.loading(directory: directory.path, underlying: error.localizedDescription)
        }
        guard tokenizer.model.vocabularySize <= configuration.bert.vocabSize else {
            throw BERTError.vocabularyMismatch(
                tokenizerFile: directory.appendingPathComponent("tokenizer.json").path,
                tokenizerSize: tokenizer.model.vocabularySize,
                configFile: directory.appendingPathComponent("config.json").path,
                configSize: configuration.bert.vocabSize)
        }
    }

    /// A directory path, or the name of a cached model (`minilm`).
    public static func resolve(_ nameOrPath: String) throws -> URL {
        var isDirectory: ObjCBool = false
        let url = URL(fileURLWithPath: (nameOrPath as NSString).expandingTildeInPath)
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return url
        }
        if let cached = ModelCache.model(named: nameOrPath) {
            let directory = ModelCache.directory(of: cached)
            if FileManager.default.fileExists(atPath: directory.path) { return directory }
        }
        throw BERTError.modelNotFound(nameOrPath: nameOrPath, cacheDirectory: ModelCache.modelsDirectory.path)
    }

    /// Token ids as the encoder sees them: [CLS] ... [SEP], cut to the max sequence length.
    public func tokenize(_ text: String) -> [Int] {
        tokenizer.encode(text, maxLength: maxSequenceLength)
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        try embed(tokenized: texts.map(tokenize))
    }

    /// Embeds pre-tokenized sequences. Longest first, in batches of similar length up to `tokensPerBatch` tokens.
    public func embed(tokenized sequences: [[Int]]) throws -> [[Float]] {
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var results = [[Float]](repeating: [], count: sequences.count)
        var start = 0
        while start < order.count {
            var end = start
            var tokens = 0
            while end < order.count, end == start || tokens + sequences[order[end]].count <= tokensPerBatch {
                tokens += sequences[order[end]].count
                end += 1
            }
            let batch = order[start..<end]
            let (states, offsets) = try model.hiddenStates(batch.map { sequences[$0] })
            for (position, index) in batch.enumerated() {
                results[index] = pool(states, rows: offsets[position]..<offsets[position + 1])
            }
            start = end
        }
        return results
    }

    /// One sentence vector from a sequence's token rows, then L2-normalised when the model says so.
    private func pool(_ states: [Float], rows: Range<Int>) -> [Float] {
        let width = dimension
        var vector = [Float](repeating: 0, count: width)
        switch configuration.pooling {
        case .cls:
            vector = Array(states[(rows.lowerBound * width)..<((rows.lowerBound + 1) * width)])
        case .max:
            vector = [Float](repeating: -.infinity, count: width)
            for row in rows { for j in 0..<width { vector[j] = max(vector[j], states[row * width + j]) } }
        case .mean, .meanSqrtLength:
            for row in rows { for j in 0..<width { vector[j] += states[row * width + j] } }
            let divisor = configuration.pooling == .mean ? Float(rows.count) : Float(rows.count).squareRoot()
            for j in 0..<width { vector[j] /= divisor }
        }
        if configuration.normalize {
            // sentence-transformers divides by max(norm, 1e-12).
            let norm = max(vector.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            for j in 0..<width { vector[j] /= norm }
        }
        return vector
    }
}
