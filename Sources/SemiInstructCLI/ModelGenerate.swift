// `semi-instruct model generate MODEL --prompt TEXT`: generate text, streamed or as JSON.
import ArgumentParser
import Constraints
import Engine
import Foundation
import Tokenizers

struct ModelGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a prompt (raw, or as a chat turn with --chat).")

    @OptionGroup var model: ModelArgument

    @Option(help: "The prompt.")
    var prompt: String

    @Flag(help: "Send the prompt as a user message through the model's chat template.")
    var chat = false

    @Option(help: "A system message (implies --chat).")
    var system: String?

    @Option(help: "Chat template to use instead of the model's own (chatml, minicpm).")
    var template: String?

    @Option(help: "Most tokens to generate.")
    var maxTokens = 256

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(help: "Keep the most likely tokens whose probabilities sum to P.")
    var topP: Float = 1

    @Option(help: "Keep the K most likely tokens (0: all).")
    var topK = 0

    @Option(help: "Drop tokens less likely than P times the most likely.")
    var minP: Float = 0

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Option(help: "Stop when the text contains this (repeatable).")
    var stop: [String] = []

    @Option(help: "Only generate text this grammar file accepts (EBNF; see README).")
    var grammar: String?

    @Option(help: "Only generate text that fully matches this regular expression.")
    var regex: String?

    @Option(help: "Only generate JSON that this JSON schema file accepts.")
    var jsonSchema: String?

    @Flag(help: "Print prompt_ids, ids, text and the speeds as one JSON object.")
    var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0 else { throw ValidationError("--temperature must not be negative") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0, minP < 1 else { throw ValidationError("--min-p must be in [0, 1)") }
        guard topK >= 0 else { throw ValidationError("--top-k must not be negative") }
        if [grammar, regex, jsonSchema].compactMap({ $0 }).count > 1 {
            throw ValidationError("--grammar, --regex and --json-schema exclude each other")
        }
        if let template, ChatTemplate(name: template) == nil {
            throw ValidationError("--template \(template) is not one of chatml, minicpm")
        }
    }

    /// The constraint named on the command line, compiled (errors say where the source is wrong).
    func constraint() throws -> Grammar? {
        if let grammar {
            guard let text = try? String(contentsOfFile: grammar, encoding: .utf8) else {
                throw ConstraintError.unreadable(path: grammar, reason: "grammar file not found or not UTF-8")
            }
            return try GrammarParser.parse(text, source: grammar)
        }
        if let regex { return try RegexCompiler.compile(regex, source: "--regex") }
        if let jsonSchema { return try JSONSchemaCompiler.compile(file: jsonSchema) }
        return nil
    }

    func run() async throws {
        let constraint = try constraint()
        let loaded = try ModelLoader.load(model.model, threads: model.threads)
        let generator = LlamaGenerator(loaded, template: template.flatMap(ChatTemplate.init(name:)),
                                       precision: model.activationPrecision)
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: .system, content: system)) }
        messages.append(ChatMessage(role: .user, content: prompt))
        let request = GenerationRequest(
            prompt: chat || system != nil ? .chat(messages) : .text(prompt),
            settings: SamplingSettings(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed,
                                       maxTokens: maxTokens, stop: stop),
            constraint: constraint)
        if json {
            let result = try generator.generate(request)
            let object: [String: Any] = [
                "prompt_ids": result.promptIDs, "ids": result.ids, "text": result.text,
                "finish_reason": result.finishReason.rawValue,
                "prefill_tokens_per_second": result.prefillTokensPerSecond,
                "decode_tokens_per_second": result.decodeTokensPerSecond,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            let result = try generator.generate(request) { piece in
                FileHandle.standardOutput.write(Data(piece.utf8))
            }
            print("")
            FileHandle.standardError.write(Data(String(
                format: "[%d prompt tokens at %.1f tok/s, %d generated at %.1f tok/s, %@]\n",
                result.promptIDs.count, result.prefillTokensPerSecond, result.ids.count,
                result.decodeTokensPerSecond, result.finishReason.rawValue).utf8))
        }
    }
}
