// `semi-instruct model generate MODEL --prompt TEXT`: generate text, streamed or as JSON; with
// `--input FILE.jsonl`, one prompt per line, decoded `--parallel` at a time in the batch engine.
import ArgumentParser
import CommandOptions
import Constraints
import Engine
import Foundation
import Tokenizers

struct ModelGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate text from a prompt (raw, or as a chat turn with --chat), or for every line of a JSON-lines file.")

    @OptionGroup var model: ModelArgument

    @OptionGroup var promptOption: PromptPrecisionOption

    @Option(help: "The prompt.")
    var prompt: String?

    @Option(help: "A JSON-lines file with one prompt per line (see --field); prints one JSON object per line, in order.")
    var input: String?

    @Option(help: "The field of each --input line that holds the prompt.")
    var field = "prompt"

    @Option(help: "Sequences decoded together (--input).")
    var parallel = 16

    @OptionGroup var kvOptions: KVCacheOptions

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

    @Option(help: "Random seed (line i of --input uses seed + i).")
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
        guard (prompt == nil) != (input == nil) else { throw ValidationError("give either --prompt or --input") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
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

    var settings: SamplingSettings {
        SamplingSettings(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed, maxTokens: maxTokens, stop: stop)
    }

    func request(_ text: String, constraint: Grammar?) -> GenerationRequest {
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: .system, content: system)) }
        messages.append(ChatMessage(role: .user, content: text))
        return GenerationRequest(prompt: chat || system != nil ? .chat(messages) : .text(text), settings: settings,
                                 constraint: constraint)
    }

    func run() async throws {
        let constraint = try constraint()
        let loaded = try ModelLoader.load(model.model, threads: model.threads)
        let generator = LlamaGenerator(loaded, template: template.flatMap(ChatTemplate.init(name:)),
                                       precision: model.precision, promptPrecision: promptOption.promptPrecision,
                                       batchOptions: kvOptions.batchOptions(maxSequences: parallel))
        if let input {
            try generateLines(of: input, with: generator, constraint: constraint)
            return
        }
        let request = request(prompt ?? "", constraint: constraint)
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

extension ModelGenerate {
    /// Every line's prompt through the batch engine; one JSON object per line, in input order. A line whose
    /// request fails prints an error object with its line number; the others still print, and the command
    /// exits non-zero at the end.
    func generateLines(of path: String, with generator: LlamaGenerator, constraint: Grammar?) throws {
        let lines = try PromptLines.read(path, field: field)
        var requests = lines.map { request($0.prompt, constraint: constraint) }
        for i in requests.indices { requests[i].settings.seed = seed &+ UInt64(i) }
        let start = DispatchTime.now().uptimeNanoseconds
        let outcomes = try generator.results(batch: requests)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var generated = 0, failed = 0
        for (index, outcome) in outcomes.enumerated() {
            var object: [String: Any] = ["index": index, "line": lines[index].line]
            switch outcome {
            case let .success(result):
                object["text"] = result.text
                object["finish_reason"] = result.finishReason.rawValue
                object["prompt_tokens"] = result.promptIDs.count
                object["completion_tokens"] = result.ids.count
                if json { object["ids"] = result.ids }
                generated += result.ids.count
            case let .failure(error):
                object["error"] = "\(path):\(lines[index].line): \(error.localizedDescription)"
                failed += 1
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
        let statistics = generator.batchStatistics
        FileHandle.standardError.write(Data(String(
            format: "[%d prompts, %d tokens generated in %.2f s (%.1f tok/s), %d parallel, %d prompt tokens reused from the prefix cache]\n",
            outcomes.count, generated, seconds, Double(generated) / max(seconds, 1e-9), parallel,
            statistics?.reusedPromptTokens ?? 0).utf8))
        if failed > 0 {
            FileHandle.standardError.write(Data("\(failed) of \(outcomes.count) prompts failed (see their \"error\" lines)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// The prompts of a JSON-lines file: `field` of every non-blank line, a string, with its line number.
enum PromptLines {
    static func read(_ path: String, field: String) throws -> [(prompt: String, line: Int)] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationError("\(path): \(error.localizedDescription)")
        }
        var prompts: [(prompt: String, line: Int)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            guard let object else { throw ValidationError("\(path):\(number + 1): not a JSON object") }
            guard let prompt = object[field] as? String else {
                throw ValidationError("\(path):\(number + 1): no string field '\(field)' (choose one with --field)")
            }
            prompts.append((prompt, number + 1))
        }
        return prompts
    }
}
