import Foundation
import Pipeline
import Testing

@Suite struct RecipeLoaderTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func emptyRecipeGivesDefaults() throws {
        let recipe = try RecipeLoader.parse("")
        #expect(recipe == Recipe())
        #expect(recipe.tests.minimum == 3 && recipe.models.generator == "smollm2")
    }

    @Test func valuesOverrideDefaultsAndListElementsGetTheirDefaults() throws {
        let recipe = try RecipeLoader.parse("""
            name: custom
            inputs:
              - path: data.jsonl
                instruction_field: prompt
              - path: src
            sampling:
              temperature: 0.2
              attempts: 5
            sandbox:
              memory_megabytes: 256
            """)
        #expect(recipe.name == "custom")
        #expect(recipe.inputs.map(\.path) == ["data.jsonl", "src"])
        #expect(recipe.inputs[0].codeField == "code" && recipe.inputs[0].instructionField == "prompt")
        #expect(recipe.sampling.temperature == 0.2 && recipe.sampling.attempts == 5 && recipe.sampling.maxTokens == 384)
        #expect(recipe.sandbox.memoryMegabytes == 256)
    }

    @Test func unknownKeyNamesKeyAndLine() {
        let yaml = "name: x\nsampling:\n  temperature: 0.1\n  temprature: 0.2\n"
        #expect {
            _ = try RecipeLoader.parse(yaml, path: "r.yaml")
        } throws: { error in
            let message = (error as? PipelineError)?.errorDescription ?? ""
            return message.hasPrefix("r.yaml:4:") && message.contains("sampling.temprature") && message.contains("unknown key")
        }
    }

    @Test func wrongTypeNamesKeyAndLine() {
        let yaml = "name: x\ntests:\n  count: many\n"
        #expect {
            _ = try RecipeLoader.parse(yaml, path: "r.yaml")
        } throws: { error in
            let message = (error as? PipelineError)?.errorDescription ?? ""
            return message.hasPrefix("r.yaml:3:") && message.contains("tests.count") && message.contains("integer")
        }
    }

    @Test func unknownKeyInsideAListElement() {
        let yaml = "inputs:\n  - path: a\n  - path: b\n    colour: red\n"
        #expect {
            _ = try RecipeLoader.parse(yaml, path: "r.yaml")
        } throws: { error in
            let message = (error as? PipelineError)?.errorDescription ?? ""
            return message.hasPrefix("r.yaml:4:") && message.contains("inputs[1].colour")
        }
    }

    @Test func valuesOutOfRangeAreErrorsNamingKeyAndLine() throws {
        for (yaml, key, line) in [("instruction:\n  examples: 2\n  min_faithfulness: 1.5\n", "instruction.min_faithfulness", 3),
                                  ("instruction:\n  example_style: prose\n", "instruction.example_style", 2),
                                  ("name: x\nverify:\n  pass_ratio: -0.1\n", "verify.pass_ratio", 3),
                                  ("tests:\n  count: 0\n", "tests.count", 2),
                                  ("sandbox:\n  memory_megabytes: 8796093022208\n", "sandbox.memory_megabytes", 2),
                                  ("sandbox:\n  timeout_seconds: 100000\n", "sandbox.timeout_seconds", 2),
                                  ("sampling:\n  top_p: 0\n", "sampling.top_p", 2),
                                  ("sampling:\n  attempts: 0\n", "sampling.attempts", 2),
                                  ("dedup:\n  keep: newest\n", "dedup.keep", 2),
                                  ("dedup:\n  eps: -1\n", "dedup.eps", 2),
                                  ("models:\n  generator: smollm2\n  prompt_precision: int4\n", "models.prompt_precision", 3),
                                  ("models:\n  kv_cache: f8\n", "models.kv_cache", 2),
                                  ("models:\n  kv_memory_mib: 0\n", "models.kv_memory_mib", 2),
                                  ("name: x\nshards: 0\n", "shards", 2)] {
            #expect {
                _ = try RecipeLoader.parse(yaml, path: "r.yaml")
            } throws: { error in
                let message = (error as? PipelineError)?.errorDescription ?? ""
                return message.hasPrefix("r.yaml:\(line):") && message.contains("'\(key)'") && message.contains("expected")
            }
        }
        let recipe = try RecipeLoader.parse("instruction:\n  examples: 3\n  example_style: doctest\n  min_faithfulness: 0.5\n  back_translate: false\n")
        #expect(recipe.instruction.examples == 3 && recipe.instruction.exampleStyle == "doctest" && recipe.instruction.minFaithfulness == 0.5)
        #expect(!recipe.instruction.backTranslate && recipe.instruction.checkClaims && recipe.instruction.evidence == 4)
        #expect(recipe.models.promptPrecision == nil)
        #expect(try RecipeLoader.parse("models:\n  prompt_precision: int8\n").models.promptPrecision == "int8")
        #expect(try RecipeLoader.parse("models:\n  prompt_precision: bf16\n").models.promptPrecision == "bf16")
        #expect(recipe.models.kvCache == nil && recipe.models.kvMemoryMib == nil)
        let kv = try RecipeLoader.parse("models:\n  kv_cache: f16\n  kv_memory_mib: 4096\n").models
        #expect(kv.kvCache == "f16" && kv.kvMemoryMib == 4096)
        #expect(recipe.shards == nil)
        #expect(try RecipeLoader.parse("shards: 16\n").shards == 16)
    }

    @Test func shippedRecipesLoad() throws {
        for name in ["quickstart", "stdlib", "abacus"] {
            let recipe = try RecipeLoader.load(path: Self.root.appendingPathComponent("recipes/\(name).yaml").path)
            #expect(!recipe.inputs.isEmpty, "\(name)")
            for input in recipe.inputs where input.path != "stdlib" {
                #expect(FileManager.default.fileExists(atPath: input.path), "\(name): \(input.path)")
            }
        }
    }
}

/// The `decontaminate:` section: on by default against HumanEval, `false` for off, benchmarks by name or path.
@Suite struct DecontaminationRecipeTests {
    @Test func onByDefaultAgainstHumanEval() throws {
        let recipe = try RecipeLoader.parse("name: x\n")
        #expect(recipe.decontaminate.enabled && recipe.decontaminate.sources.map(\.name) == ["humaneval"])
        #expect(recipe.decontaminate.parameters == .init())
        #expect(try RecipeLoader.parse("decontaminate: false\n").decontaminate.enabled == false)
    }

    @Test func benchmarksByNameOrPathWithTheirFields() throws {
        let directory = try temporaryDirectory("recipe-bench")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("r.yaml")
        try """
            decontaminate:
              benchmarks:
                - humaneval
                - evals/mbpp.jsonl
                - path: /data/private.jsonl.gz
                  name: team-evals
                  prompt: question
                  solution: reference
              ngram: 10
              entry_point_similarity: 0.6
            """.write(to: file, atomically: true, encoding: .utf8)
        let settings = try RecipeLoader.load(path: file.path).decontaminate
        let sources = settings.sources
        #expect(sources.map(\.name) == ["humaneval", "mbpp", "team-evals"])
        #expect(sources[0].path == nil && sources[1].path == directory.appendingPathComponent("evals/mbpp.jsonl").path)
        #expect(sources[2].path == "/data/private.jsonl.gz" && sources[2].fields.prompt == "question" && sources[2].fields.solution == "reference")
        #expect(sources[1].fields.solutionFollowsPrompt == nil)
        #expect(settings.parameters == .init(ngram: 10, minMatches: 1, substringMinTokens: 10, entryPointSimilarity: 0.6))
    }

    @Test func wrongValuesNameTheKeyAndLine() {
        for (yaml, key, line) in [("decontaminate:\n  ngram: 2\n", "decontaminate.ngram", 2),
                                  ("name: x\ndecontaminate:\n  benchmarks: [mbpp]\n", "decontaminate.benchmarks", 3),
                                  ("decontaminate:\n  entry_point_similarity: 1.5\n", "decontaminate.entry_point_similarity", 2),
                                  ("decontaminate:\n  benchmarks:\n    - path: a.jsonl\n      solutions: code\n", "decontaminate.benchmarks[0].solutions", 4)] {
            #expect {
                _ = try RecipeLoader.parse(yaml, path: "r.yaml")
            } throws: { error in
                let message = (error as? PipelineError)?.errorDescription ?? ""
                return message.hasPrefix("r.yaml:\(line):") && message.contains(key)
            }
        }
    }

    @Test func dedupsDefaultIsTheCommandsDefault() throws {
        #expect(try RecipeLoader.parse("name: x\n").dedup.eps == 0.05)
    }

    @Test func numbersThatAreNotFiniteNameTheirKey() {
        for (yaml, key, line) in [("dedup:\n  eps: .nan\n", "dedup.eps", 2), ("name: x\nsampling:\n  temperature: .inf\n", "sampling.temperature", 3),
                                  ("inputs:\n  - path: a.py\nverify:\n  float_tolerance: -.inf\n", "verify.float_tolerance", 4)] {
            #expect {
                _ = try RecipeLoader.parse(yaml, path: "r.yaml")
            } throws: { error in
                let message = (error as? PipelineError)?.errorDescription ?? ""
                return message.hasPrefix("r.yaml:\(line):") && message.contains("'\(key)'") && message.contains("finite")
            }
        }
    }

    /// YAML lets a key be a list or a mapping; Yams traps on such a key, so it is refused first (the fuzz found it).
    @Test func keysThatAreNotNamesAreRefused() {
        for yaml in ["? [a, b]\n: 1\n", "tests:\n  {count: 1}: 2\n"] {
            #expect {
                _ = try RecipeLoader.parse(yaml, path: "keys.yaml")
            } throws: { error in
                let message = (error as? PipelineError)?.errorDescription ?? ""
                return message.hasPrefix("keys.yaml") && message.contains("plain name")
            }
        }
    }

    /// Nine levels of nested aliases, 400 bytes of text: expanded, about 9^9 values and tens of gigabytes.
    @Test func nestedAliasesAreRefusedBeforeTheyExpand() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            yaml += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        #expect {
            _ = try RecipeLoader.parse(yaml, path: "bomb.yaml")
        } throws: { error in
            let message = (error as? PipelineError)?.errorDescription ?? ""
            return message.hasPrefix("bomb.yaml") && message.contains("aliases")
        }
        // An alias used a few times is fine.
        #expect((try? RecipeLoader.parse("name: &n shared\nexport:\n  path: *n\n"))?.export.path == "shared")
    }
}
