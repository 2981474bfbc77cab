// The real SmolLM2 under constraints: sampled answers parse as Python calls, and greedy answers that
// already satisfy a constraint come out the same with it.
import Constraints
import Engine
import Foundation
import Testing
import Tokenizers

@Suite(.serialized, .enabled(if: SmolLM2.loaded != nil, "the smollm2 model is not installed (make setup)"))
struct SmolLM2ConstrainedTests {
    static let prompt: Prompt = .chat([
        ChatMessage(role: .system, content: "You are a careful Python tester."),
        ChatMessage(role: .user, content: "Write 3 different calls that test this function, one per line, using only literal values.\n\n```python\ndef add(x, y):\n    return x + y\n```"),
        ChatMessage(role: .assistant, content: "add(1, 2)\nadd(-5, 5)\nadd(3.5, -7)"),
        ChatMessage(role: .user, content: "Write 3 different calls that test this function, one per line, using only literal values.\n\n```python\ndef scale(items, factor=2):\n    return [item * factor for item in items]\n```"),
    ])

    @Test func sampledCallsParseWithPython() throws {
        let generator = LlamaGenerator(SmolLM2.loaded!)
        let grammar = try BuiltInConstraints.callLines(function: "scale", keywords: ["items", "factor"], minLines: 3, maxLines: 3)
        var items: [[String: Any]] = []
        for seed in UInt64(0)..<6 {
            let result = try generator.generate(GenerationRequest(
                prompt: Self.prompt, settings: SamplingSettings(temperature: 1, seed: seed, maxTokens: 150), constraint: grammar))
            if result.finishReason == .endOfSequence { items.append(["kind": "calls", "text": result.text, "name": "scale", "min": 3, "max": 3]) }
        }
        #expect(items.count >= 4, "most sampled answers finish within 150 tokens")
        let verdicts = try PythonChecker.check(items)
        #expect(verdicts.count == items.count)
        for (item, verdict) in zip(items, verdicts) where verdict != "ok" { Issue.record("\(verdict): \(item["text"]!)") }
    }

    @Test func greedyOutputThatSatisfiesTheConstraintIsUnchanged() throws {
        let generator = LlamaGenerator(SmolLM2.loaded!)
        let settings = SamplingSettings(maxTokens: 80)
        let free = try generator.generate(GenerationRequest(prompt: Self.prompt, settings: settings))
        try #require(free.finishReason == .endOfSequence)
        let escaped = free.text.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || $0 == " ") ? String($0) : String(format: "\\x%02x", $0.value) }
        var constraints = [try RegexCompiler.compile(escaped.joined()), try RegexCompiler.compile(#"[\s\S]*"#)]
        let calls = try BuiltInConstraints.callLines(function: "scale", keywords: ["items", "factor"], minLines: 1, maxLines: 8)
        if matches(calls, free.text) { constraints.append(calls) }
        for grammar in constraints {
            let constrained = try generator.generate(GenerationRequest(prompt: Self.prompt, settings: settings, constraint: grammar))
            #expect(constrained.ids == free.ids, "\(grammar.key.prefix(60))")
            #expect(constrained.text == free.text)
        }
    }
}
