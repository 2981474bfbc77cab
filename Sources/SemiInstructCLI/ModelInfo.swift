// `semi-instruct model info MODEL`: architecture, parameters, tensor types, tokenizer, template, context.
import ArgumentParser
import CommandOptions
import Engine
import Foundation
import Kernels
import ModelFiles
import Tokenizers

struct ModelInfo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show a model's architecture, parameters, tokenizer and chat template.")

    @OptionGroup var model: ModelArgument

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let loaded = try ModelLoader.load(model.model, threads: model.threads)
        let counts = loaded.model.weights.parameterCounts
        let total = counts.values.reduce(0, +)
        let c = loaded.config
        let types = counts.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }
        let tokenizer = loaded.tokenizer
        let fields: [(String, String)] = [
            ("file", loaded.file.path),
            ("format", loaded.gguf.map { "GGUF v\($0.version)" } ?? "Hugging Face checkpoint (\(checkpointFormat(loaded.file)))"),
            ("architecture", "\(c.architecture.name) (\(loaded.gguf == nil ? "config.json model_type" : "GGUF general.architecture"); "
                + "supported: \(DecoderArchitecture.supported))"),
            ("features", c.features.described.isEmpty ? "none beyond the Llama layer" : c.features.described.joined(separator: ", ")),
            ("name", ((try? loaded.gguf?.optionalString("general.name")) ?? nil) ?? loaded.file.lastPathComponent),
            ("parameters", "\(total) (\(String(format: "%.1f", Double(total) / 1e6)) M)"),
            ("tensor types", types.joined(separator: ", ")),
            ("layers", "\(c.layerCount)"),
            ("hidden size", "\(c.hiddenSize)"),
            ("feed-forward size", "\(c.intermediateSize)"),
            ("heads", "\(c.headCount) query, \(c.kvHeadCount) key/value, dimension \(c.headDimension)"),
            ("rope theta", "\(c.ropeTheta)"),
            ("rope scaling", c.ropeScaling.summary),
            ("soft caps", c.attentionSoftcap == nil && c.logitSoftcap == nil ? "none"
                : "attention \(c.attentionSoftcap.map { "\($0)" } ?? "none"), logits \(c.logitSoftcap.map { "\($0)" } ?? "none")"),
            ("local attention", c.localAttention.map { "layers \($0.layers.map(String.init).joined(separator: ", ")) see the last \($0.window) positions" }
                .map { $0 + (c.localRopeTheta.map { ", with RoPE base \($0)" } ?? "") } ?? "none"),
            ("rotary dimension", c.rotaryDimension.map { "\($0) of each head's \(c.headDimension) values" } ?? "the whole head"),
            ("rms epsilon", "\(c.rmsNormEpsilon)"),
            ("output head", c.tiedEmbeddings ? "tied to the embedding" : "separate"),
            ("scales", "embedding x\(c.embeddingScale), residual x\(c.residualScale), logits / \(c.logitScale), attention x"
                + (c.attentionScale.map { "\($0)" } ?? "1/sqrt(\(c.headDimension))")),
            ("context length", "\(c.contextLength)" + (c.slidingWindow.map { " (cut to the sliding window of \($0): exact, no sequence reaches past it)" } ?? "")),
            ("tokenizer", tokenizer.summary),
            ("bos", tokenizer.bosID.map { "\($0) \(tokenizer.token($0) ?? "")" + (tokenizer.addsBOS ? " (added)" : " (not added)") } ?? "-"),
            ("end tokens", tokenizer.endIDs.sorted().map { "\($0) \(tokenizer.token($0) ?? "")" }.joined(separator: ", ")),
            ("chat template", Self.describe(loaded.chatTemplate, source: loaded.chatTemplateSource)),
        ]
        if json {
            let object = Dictionary(fields, uniquingKeysWith: { first, _ in first })
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (key, value) in fields { print("\(key.padding(toLength: 18, withPad: " ", startingAt: 0)) \(value)") }
        }
    }

    /// The template prompts are rendered with, or why the file's cannot be run.
    static func describe(_ template: Result<ChatTemplate, TokenizerError>?, source: String?) -> String {
        switch template {
        case nil: return "none (name one: \(ChatTemplate.builtInNames.joined(separator: ", ")))"
        case let .failure(error)?: return "the file's template cannot be run: \(error.localizedDescription)"
        case let .success(.model(model))?:
            let lines = model.template.source.split(separator: "\n", omittingEmptySubsequences: false).count
            return "the file's own, run as Jinja (\(lines) lines; bos \(model.bosToken ?? "none"), eos \(model.eosToken ?? "none"))"
        case let .success(builtIn)?:
            return "built-in \(builtIn.name)" + (source == nil ? " (the file has none; the architecture's default)" : "")
        }
    }

    /// Which weight files a checkpoint directory holds, as the loader picks them (safetensors first).
    func checkpointFormat(_ directory: URL) -> String {
        let safetensors = [SafetensorsCheckpoint.singleFileName, SafetensorsCheckpoint.indexFileName]
        let hasSafetensors = safetensors.contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
        return hasSafetensors ? "safetensors" : "pytorch_model.bin"
    }
}
