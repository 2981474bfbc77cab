// Turns what a user types for an embedder into one: `hashing`, a sentence encoder (`minilm`, a sentence-transformers
// directory) or a decoder (`smollm2`, a GGUF file, a decoder checkpoint). Model references resolve as everywhere
// else, through `ModelLoader.resolve`; `build`, `dedup` and `model embed` all come here.
import Foundation

public enum EmbedderLoader {
    /// What a reference names, found without loading any weights.
    public enum Found: Equatable, Sendable {
        case hashing
        /// A sentence-transformers BERT directory.
        case encoder(URL)
        /// A GGUF file or a decoder checkpoint directory.
        case decoder(URL)
    }

    public static let hashingName = "hashing"

    public static func locate(_ reference: String) throws(EngineError) -> Found {
        if reference == hashingName { return .hashing }
        let url = try ModelLoader.resolve(reference)
        return isSentenceEncoder(url) ? .encoder(url) : .decoder(url)
    }

    /// Loads the embedder `reference` names; its `name` is the reference, so caches key on what the user typed.
    public static func load(_ reference: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                            workers: Int = 1) throws -> any Embedder {
        switch try locate(reference) {
        case .hashing: HashingEmbedder()
        case let .encoder(directory): try BERTEmbedder(directory: directory, workers: workers, name: reference)
        case let .decoder(file): DecoderEmbedder(try ModelLoader.load(file: file, threads: threads), name: reference)
        }
    }

    /// The sentence-transformers directory `reference` names, for commands that need the encoder itself.
    public static func encoderDirectory(_ reference: String) throws(EngineError) -> URL {
        switch try locate(reference) {
        case let .encoder(directory): directory
        case .hashing: throw .notAnEncoder(reference: reference, found: "the model-free hashing embedder")
        case let .decoder(file): throw .notAnEncoder(reference: reference, found: "a decoder (\(file.path))")
        }
    }

    /// A directory whose config.json declares a BERT encoder (sentence-transformers keeps one there).
    static func isSentenceEncoder(_ url: URL) -> Bool {
        guard let data = try? Data(contentsOf: url.appendingPathComponent("config.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["model_type"] as? String == "bert"
    }
}
