// SmolLM2-135M-Instruct against transformers: logits at several positions and greedy transcripts.
import Engine
import Foundation
import Kernels
import Testing
import Tokenizers

struct LogitsRow {
    let promptIDs: [Int]
    let position: Int
    let argmax: Int
    let logits: [Float]

    static func load() throws -> [LogitsRow] {
        let meta = try SmolLM2Fixtures.json("logits.json")
        let vocabulary = meta["vocab_size"] as! Int
        let raw = try Data(contentsOf: SmolLM2Fixtures.directory.appendingPathComponent("logits.f32"))
        let floats = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (meta["rows"] as! [[String: Any]]).enumerated().map { index, row in
            LogitsRow(promptIDs: row["prompt_ids"] as! [Int], position: row["position"] as! Int,
                      argmax: row["argmax"] as! Int,
                      logits: Array(floats[index * vocabulary..<(index + 1) * vocabulary]))
        }
    }
}

func argmax(_ values: [Float]) -> Int { values.indices.max { values[$0] < values[$1] }! }

func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }

@Suite(.serialized, .enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct LlamaSmolLM2Tests {
    /// Logits after feeding a prompt one token at a time.
    func decodedLogits(_ prompt: [Int], precision: ActivationPrecision) throws -> [[Float]] {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let session = loaded.model.makeSession(capacity: prompt.count, precision: precision)
        defer { withExtendedLifetime(session) {} }
        return prompt.map { Array(session.decode($0)) }
    }

    @Test func prefillMatchesTransformers() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        for row in try LogitsRow.load() where row.position >= 8 {
            let prefix = Array(row.promptIDs[0...row.position])
            let session = loaded.model.makeSession(capacity: prefix.count, precision: .float)
            defer { withExtendedLifetime(session) {} }
            let ours = Array(session.process(prefix))
            #expect(argmax(ours) == row.argmax, "position \(row.position)")
            #expect(maxDifference(ours, row.logits) < 2e-3, "position \(row.position)")
            // The int8 head recomputes the tokens near the top with float activations: those match too.
            let fastSession = loaded.model.makeSession(capacity: prefix.count, precision: .int8)
            defer { withExtendedLifetime(fastSession) {} }
            let fast = Array(fastSession.process(prefix))
            #expect(argmax(fast) == row.argmax, "position \(row.position)")
            #expect(abs(fast[row.argmax] - row.logits[row.argmax]) < 2e-3, "position \(row.position)")
        }
    }

    @Test func floatDecodeMatchesTransformers() throws {
        let rows = try LogitsRow.load()
        for prompt in Set(rows.map(\.promptIDs)) {
            let logits = try decodedLogits(prompt, precision: .float)
            for row in rows where row.promptIDs == prompt {
                #expect(argmax(logits[row.position]) == row.argmax, "position \(row.position)")
                #expect(maxDifference(logits[row.position], row.logits) < 2e-3, "position \(row.position)")
            }
        }
    }

    @Test func int8DecodeStaysClose() throws {
        let rows = try LogitsRow.load()
        for prompt in Set(rows.map(\.promptIDs)) {
            let logits = try decodedLogits(prompt, precision: .int8)
            for row in rows where row.promptIDs == prompt {
                let ours = logits[row.position]
                let top3 = ours.indices.sorted { ours[$0] > ours[$1] }.prefix(3)
                // 8-bit activations move logits by up to ~2 (the head's tail is not rescored); near-ties may
                // swap, but the reference's best stays near the top.
                #expect(top3.contains(row.argmax), "position \(row.position)")
                #expect(maxDifference(ours, row.logits) < 2.5, "position \(row.position)")
            }
        }
    }

    @Test func greedyTranscriptsMatchTransformers() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let generator = LlamaGenerator(loaded, precision: .float)
        let fixture = try SmolLM2Fixtures.json("greedy.json")
        for (index, item) in (fixture["cases"] as! [[String: Any]]).enumerated() {
            let messages = (item["messages"] as! [[String: String]]).map {
                ChatMessage(role: ChatMessage.Role(rawValue: $0["role"]!)!, content: $0["content"]!)
            }
            let expectedPrompt = item["prompt_ids"] as! [Int]
            let expectedOutput = item["output_ids"] as! [Int]
            let rendered = try generator.chatTemplate().render(messages)
            #expect(rendered == item["rendered"] as! String, "case \(index)")
            #expect(try generator.promptIDs(.chat(messages)) == expectedPrompt, "case \(index)")
            let result = try generator.generate(promptIDs: expectedPrompt,
                                                settings: SamplingSettings(maxTokens: expectedOutput.count))
            #expect(result.ids == expectedOutput, "case \(index)")
            let expectedText = (item["output_text"] as! String).replacingOccurrences(of: "<|im_end|>", with: "")
            #expect(result.text == expectedText, "case \(index)")
        }
    }

    /// For each reference row past position 8: its prompt's logits at `precision` (8-bit decoding) and at float.
    func promptLogits(_ precision: PromptPrecision) throws -> [(row: LogitsRow, ours: [Float], float: [Float])] {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        return try LogitsRow.load().filter { $0.position >= 8 }.map { row in
            let prefix = Array(row.promptIDs[0...row.position])
            let session = loaded.model.makeSession(capacity: prefix.count, precision: .int8, promptPrecision: precision)
            let float = loaded.model.makeSession(capacity: prefix.count, precision: .int8)
            return (row, withExtendedLifetime(session) { Array(session.process(prefix)) }, withExtendedLifetime(float) { Array(float.process(prefix)) })
        }
    }

    /// Three chat questions at `precision`'s prompts: each answered alone, and the token ids of all three in one batch.
    func answersAloneAndTogether(_ precision: PromptPrecision) throws -> (alone: [GenerationResult], together: [[Int]]) {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let generator = LlamaGenerator(loaded, precision: .int8, promptPrecision: precision)
        let questions = ["What is the capital of France?", "Name a prime number above 10.", "Write a haiku about rain."]
        let requests = questions.map { GenerationRequest(prompt: .chat([ChatMessage(role: .user, content: $0)]), settings: SamplingSettings(maxTokens: 12)) }
        return (try requests.map { try generator.generate($0, onText: nil) }, try generator.results(batch: requests).map { try $0.get().ids })
    }

    /// Prompts through the packed 8-bit products (`promptPrecision: .int8`): logits move as int8 decoding's do, the
    /// reference's best stays near the top, and a sequence's tokens do not depend on what else is in its batch.
    @Test func int8PromptsStayCloseAndBatchInvariant() throws {
        var worst: Float = 0
        for (row, ours, precise) in try promptLogits(.int8) {
            #expect(ours != precise, "position \(row.position): int8 prompts took the float path")
            // The same arithmetic per row as 8-bit decoding: the prompt fed one token at a time gives the same logits.
            let stepped = try decodedLogits(Array(row.promptIDs[0...row.position]), precision: .int8).last!
            #expect(ours.map(\.bitPattern) == stepped.map(\.bitPattern), "position \(row.position)")
            let top3 = ours.indices.sorted { ours[$0] > ours[$1] }.prefix(3)
            #expect(top3.contains(row.argmax), "position \(row.position)")
            worst = max(worst, maxDifference(ours, row.logits))
        }
        #expect(worst < 2.5)
        let (alone, together) = try answersAloneAndTogether(.int8)
        #expect(alone.map(\.ids) == together)
    }

    /// Prompts with bfloat16 products (`promptPrecision: .bf16`): the logits stay near the reference's (0.39 at most
    /// when written), its best token stays the best, the first answer is the float prompts' one, and a sequence's
    /// tokens do not depend on its batch.
    @Test(.enabled(if: PackedMatrix.Precision.bfloat16.isSupported)) func bfloat16PromptsStayCloseAndBatchInvariant() throws {
        var worst: Float = 0
        for (row, ours, precise) in try promptLogits(.bf16) {
            #expect(ours != precise, "position \(row.position): bf16 prompts took the float path")
            #expect(argmax(ours) == row.argmax, "position \(row.position)")
            worst = max(worst, maxDifference(ours, row.logits))
        }
        #expect(worst < 0.6)
        let (alone, together) = try answersAloneAndTogether(.bf16)
        #expect(alone.map(\.ids) == together)
        #expect(alone[0].text == "The capital of France is Paris.")
    }

    @Test func int8GreedyAgreesOnTheFirstAnswer() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let generator = LlamaGenerator(loaded, precision: .int8)
        let result = try generator.generate(GenerationRequest(
            prompt: .chat([ChatMessage(role: .user, content: "What is the capital of France?")]),
            settings: SamplingSettings(maxTokens: 16)))
        #expect(result.text == "The capital of France is Paris.")
        #expect(result.finishReason == .endOfSequence)
    }
}
