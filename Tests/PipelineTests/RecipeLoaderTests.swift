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
                                  ("tests:\n  count: 0\n", "tests.count", 2)] {
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
