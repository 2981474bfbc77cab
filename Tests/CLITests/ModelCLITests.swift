// `semi-instruct model info|tokenize|generate` and `bench generate|batch` through the built binary.
import Benchmarks
import Foundation
import ModelFiles
import Testing

private enum ModelCLI {
    static var binary: URL { BuiltBinary.url }

    static var smolLM2Installed: Bool {
        guard let cached = ModelCache.model(named: "smollm2") else { return false }
        return FileManager.default.fileExists(atPath: ModelCache.checkedFile(of: cached).path)
            && FileManager.default.isExecutableFile(atPath: binary.path)
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        try BuiltBinary.run(arguments)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

@Suite(.serialized, .enabled(if: ModelCLI.smolLM2Installed, "the smollm2 model or the binary is missing"))
struct ModelCLITests {
    @Test func tokenizePrintsIDs() throws {
        let result = try ModelCLI.run(["model", "tokenize", "smollm2", "--text", "Hello world"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "19556 905\n")
        let json = try ModelCLI.json(try ModelCLI.run(["model", "tokenize", "smollm2", "--text", "Hello world", "--json"]).output)
        #expect(json["tokens"] as? [String] == ["Hello", "Ġworld"])
    }

    @Test func infoDescribesTheModel() throws {
        let result = try ModelCLI.run(["model", "info", "smollm2", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let info = try ModelCLI.json(result.output)
        #expect(info["layers"] as? String == "30")
        #expect(info["architecture"] as? String == "llama (GGUF general.architecture; supported: llama, minicpm, granite, qwen2, qwen3, starcoder2, phi3, stablelm, gemma2, gemma3)")
        #expect(info["features"] as? String == "none beyond the Llama layer")
        #expect(info["context length"] as? String == "8192")
        #expect(info["chat template"] as? String == "the file's own, run as Jinja (6 lines; bos <|im_start|>, eos <|im_end|>)")
        #expect((info["tensor types"] as? String)?.contains("Q4_1") == true)
    }

    @Test func generateAnswersAChatTurnAsJSON() throws {
        let result = try ModelCLI.run(["model", "generate", "smollm2", "--prompt", "What is the capital of France?",
                                       "--chat", "--max-tokens", "16", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let json = try ModelCLI.json(result.output)
        #expect(json["text"] as? String == "The capital of France is Paris.")
        #expect((json["prompt_ids"] as? [Int])?.count == 37)
        #expect(json["finish_reason"] as? String == "eos")
        #expect((json["decode_tokens_per_second"] as? Double ?? 0) > 0)
    }

    @Test func generateReadsOnePromptPerLineInParallel() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("prompts-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try "{\"q\": \"What is the capital of France?\"}\n\n{\"q\": \"Name a colour.\"}\n{\"q\": \"What is the capital of France?\"}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try ModelCLI.run(["model", "generate", "smollm2", "--input", file.path, "--field", "q", "--chat",
                                       "--max-tokens", "16", "--parallel", "2"])
        #expect(result.status == 0, "\(result.error)")
        let lines = try result.output.split(separator: "\n").map { try ModelCLI.json(String($0)) }
        #expect(lines.map { $0["index"] as? Int } == [0, 1, 2])
        #expect(lines[0]["text"] as? String == "The capital of France is Paris.")
        #expect(lines[2]["text"] as? String == "The capital of France is Paris.")
        #expect(result.error.contains("prompt tokens reused"))

        let bad = try ModelCLI.run(["model", "generate", "smollm2", "--input", file.path, "--field", "prompt"])
        #expect(bad.status != 0)
        #expect(bad.error.contains("\(file.path):1: no string field 'prompt'"))
    }

    @Test func aFailingLineGetsAnErrorObjectAndTheOthersStillPrint() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("prompts-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        // Raw text: the empty prompt has no tokens at all (SmolLM2 adds no BOS).
        try "{\"prompt\": \"Once upon a time\"}\n\n{\"prompt\": \"\"}\n{\"prompt\": \"The sky is\"}\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try ModelCLI.run(["model", "generate", "smollm2", "--input", file.path, "--max-tokens", "4"])
        #expect(result.status != 0)
        let lines = try result.output.split(separator: "\n").map { try ModelCLI.json(String($0)) }
        #expect(lines.map { $0["line"] as? Int } == [1, 3, 4])
        #expect(lines[1]["error"] as? String == "\(file.path):3: the prompt is empty")
        #expect(lines[1]["text"] == nil)
        #expect(lines[0]["completion_tokens"] as? Int == 4 && lines[2]["completion_tokens"] as? Int == 4)
        #expect(result.error.contains("1 of 3 prompts failed"))
    }

    @Test func benchBatchReportsThroughput() throws {
        let result = try ModelCLI.run(["bench", "batch", "smollm2", "--prompt-tokens", "8", "--generate-tokens", "3",
                                       "--parallel", "1,2", "--runs", "1", "--prefix-requests", "3", "--prefix-tokens", "40",
                                       "--prefix-generate", "2", "--prefix-parallel", "2", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let json = try ModelCLI.json(result.output)
        let rows = json["batch"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["parallel"] as? Int } == [1, 2])
        #expect(rows.allSatisfy { ($0["generated_tokens_per_second"] as? Double ?? 0) > 0 })
        let pipeline = json["pipeline"] as? [[String: Any]] ?? []
        #expect(pipeline.map { $0["prefix_cache"] as? Bool } == [false, true])
        #expect(pipeline.first?["reused_prompt_tokens"] as? Int == 0)
        #expect((pipeline.last?["reused_prompt_tokens"] as? Int ?? 0) >= 2 * 32)
    }

    /// `bench matvec --inputs N`: batched products of packed and K-quant rows, each against a streaming read timed beside.
    @Test func benchMatvecTimesBatchedProductsAgainstTheReadBandwidth() throws {
        let result = try BuiltBinary.run(["bench", "matvec", "--types", "Q4_K,Q8_0", "--rows", "48", "--columns", "256", "--threads", "1,2",
                                          "--repeats", "1", "--copies", "2", "--inputs", "3"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("48 x 256, 3 inputs"), "\(result.output)")
        for type in ["Q4_K", "Q8_0"] {
            for threads in [1, 2] {
                let line = result.output.split(separator: "\n").first { $0.hasPrefix("\(type) threads \(threads):") }
                #expect(line?.contains("% of a streaming read") == true && line?.contains("rows packed") == true, "\(result.output)")
            }
        }
        let none = try BuiltBinary.run(["bench", "matvec", "--inputs", "0"])
        #expect(none.status != 0 && none.error.contains("inputs >= 1"), "\(none.error)")
    }

    /// `bench batch --pipeline-mix`: a build's lengths, three shared stage prompts, and the same requests every run.
    @Test func thePipelineMixHasTheBuildsShapes() throws {
        let text = Array(0..<4_000)
        let requests = PipelineMix.requests(60, text: text)
        #expect(requests.allSatisfy { PipelineMix.promptLengths.contains($0.promptIDs.count) && PipelineMix.answerLengths.contains($0.settings.maxTokens) })
        #expect(Set(requests.map { Array($0.promptIDs.prefix(PipelineMix.stagePrompt)) }).count == 3)
        // The rest of each prompt is the request's own: no two requests share more than their stage prompt.
        #expect(Set(requests.map { $0.promptIDs[PipelineMix.stagePrompt] }).count == requests.count)
        // Lengths spread over the ranges, not one shape repeated.
        #expect(Set(requests.map(\.promptIDs.count)).count > 30 && Set(requests.map(\.settings.maxTokens)).count > 30)
        #expect(PipelineMix.requests(60, text: text).map(\.promptIDs) == requests.map(\.promptIDs))
    }

    @Test func badModelsAndArgumentsAreErrors() throws {
        let missing = try ModelCLI.run(["model", "info", "/nonexistent/model.gguf"])
        #expect(missing.status != 0)
        #expect(missing.error.contains("/nonexistent/model.gguf"))
        let badTemperature = try ModelCLI.run(["model", "generate", "smollm2", "--prompt", "x", "--temperature", "-1"])
        #expect(badTemperature.status != 0)
        #expect(badTemperature.error.contains("--temperature"))
        // A KV bound too small for the request: the error says how large it is and how to raise it.
        let small = try ModelCLI.run(["model", "generate", "smollm2", "--prompt", "x", "--kv-memory-mib", "1", "--max-tokens", "64"])
        #expect(small.status != 0)
        #expect(small.error.contains("the bound is 737280 bytes") && small.error.contains("--kv-memory-mib"), "\(small.error)")
        let zero = try ModelCLI.run(["model", "generate", "smollm2", "--prompt", "x", "--kv-memory-mib", "0"])
        #expect(zero.status != 0 && zero.error.contains("--kv-memory-mib must be at least 1"))
    }

    @Test func benchGenerateReportsSpeeds() throws {
        let result = try ModelCLI.run(["bench", "generate", "smollm2", "--prompt-tokens", "16", "--decode-tokens", "4",
                                       "--runs", "1", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let json = try ModelCLI.json(result.output)
        #expect((json["prefill_tokens_per_second"] as? Double ?? 0) > 0)
        #expect((json["resident_bytes"] as? Int ?? 0) > 50_000_000)
    }

    @Test func generateFollowsARegexAGrammarAndASchema() throws {
        let regex = try ModelCLI.run(["model", "generate", "smollm2", "--chat", "--prompt", "Three test calls of add(a, b), one per line.",
                                      "--regex", #"add\(-?\d{1,3}, -?\d{1,3}\)(\nadd\(-?\d{1,3}, -?\d{1,3}\)){2}"#,
                                      "--max-tokens", "60", "--json"])
        #expect(regex.status == 0, "\(regex.error)")
        let text = try ModelCLI.json(regex.output)["text"] as? String ?? ""
        #expect(text.wholeMatch(of: /add\(-?\d{1,3}, -?\d{1,3}\)(\nadd\(-?\d{1,3}, -?\d{1,3}\)){2}/) != nil, "\(text)")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("constraint-cli-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let grammar = directory.appendingPathComponent("answer.ebnf")
        try "root ::= (\"yes\" | \"no\") \".\"".write(to: grammar, atomically: true, encoding: .utf8)
        let answer = try ModelCLI.run(["model", "generate", "smollm2", "--chat", "--prompt", "Is Paris in France?", "--grammar", grammar.path,
                                       "--max-tokens", "8", "--json"])
        #expect(["yes.", "no."].contains(try ModelCLI.json(answer.output)["text"] as? String ?? ""), "\(answer.output)\(answer.error)")

        let schema = directory.appendingPathComponent("person.json")
        try #"{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}, "required": ["name", "age"]}"#
            .write(to: schema, atomically: true, encoding: .utf8)
        let person = try ModelCLI.run(["model", "generate", "smollm2", "--chat", "--prompt", "Describe a person as JSON.",
                                       "--json-schema", schema.path, "--max-tokens", "40", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data((try ModelCLI.json(person.output)["text"] as? String ?? "").utf8)) as? [String: Any]
        #expect(object?["name"] is String && object?["age"] is Int, "\(person.output)")
    }

    @Test func malformedConstraintsSayWhereAndWhat() throws {
        let regex = try ModelCLI.run(["model", "generate", "smollm2", "--prompt", "x", "--regex", "a(b"])
        #expect(regex.status != 0)
        #expect(regex.error.contains("offset 3") && regex.error.contains("expected ')'"), "\(regex.error)")
        let grammar = try ModelCLI.run(["model", "generate", "smollm2", "--prompt", "x", "--grammar", "/nonexistent/g.ebnf"])
        #expect(grammar.status != 0 && grammar.error.contains("/nonexistent/g.ebnf"))
        let both = try ModelCLI.run(["model", "generate", "smollm2", "--prompt", "x", "--regex", "a", "--grammar", "g"])
        #expect(both.status != 0 && both.error.contains("exclude each other"))
    }
}

/// Options that take one of a few values are enums: a value outside them is refused before any work, naming the choices.
@Suite struct EnumOptionTests {
    @Test func aPrecisionOutsideItsChoicesIsRefused() throws {
        for (arguments, choices) in [(["bench", "batch", "smollm2", "--kv", "f64"], "'f32' and 'f16'"),
                                     (["bench", "abacus-shape", "--precision", "int4"], "'int8' and 'float'"),
                                     (["bench", "matvec", "--precision", "int4"], "'int8' and 'float'"),
                                     (["model", "generate", "smollm2", "--prompt", "hi", "--precision", "half"], "'int8' and 'float'")] {
            let (status, _, error) = try BuiltBinary.run(arguments)
            #expect(status != 0 && error.contains("is invalid") && error.contains(choices), "\(arguments): \(error)")
        }
    }

    @Test func anUnknownModelShapeIsRefusedNamingTheShapes() throws {
        let (status, _, error) = try BuiltBinary.run(["bench", "model-shape", "llama-70b"])
        #expect(status != 0 && error.contains("unknown shape 'llama-70b'") && error.contains("qwen2.5-coder-7b, deepseek-coder-1.3b"), "\(error)")
    }
}
