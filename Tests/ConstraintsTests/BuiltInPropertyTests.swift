// Hundreds of sampled generations (temperature 1, one seed each) over the real SmolLM2 vocabulary with
// random logits: under each built-in constraint every output is complete, parses with Python's parser
// or a JSON parser and has the constraint's form, and the allowed set is never empty on the way.
import Constraints
import Foundation
import Testing

@Suite(.serialized, .enabled(if: SmolLM2.cache != nil, "the smollm2 model is not installed (make setup)"))
struct BuiltInPropertyTests {
    func run(_ grammar: Grammar, count: Int, seedBase: UInt64, closers: String, exact: [String] = [], maxTokens: Int = 300) throws -> [String] {
        let generator = RandomLogitsGenerator(cache: SmolLM2.cache!)
        let closing = generator.closingTokens(closers, exact: exact)
        var texts: [String] = []
        for i in 0..<UInt64(count) {
            let outcome = try generator.generate(grammar, seed: seedBase &+ i, closers: closing, maxTokens: maxTokens)
            #expect(outcome.deadEnds == 0, "dead end after \(outcome.text.debugDescription)")
            #expect(outcome.complete, "incomplete after \(outcome.tokens) tokens: \(outcome.text.debugDescription)")
            texts.append(outcome.text)
        }
        return texts
    }

    @Test func callLinesParseAsPythonCalls() throws {
        var items: [[String: Any]] = []
        let shapes: [(String, [String], Int, Int)] = [("add", [], 1, 3), ("count_words", ["text", "min_length"], 2, 4), ("f", ["x"], 1, 1)]
        for (index, (name, keywords, low, high)) in shapes.enumerated() {
            let grammar = try BuiltInConstraints.callLines(function: name, keywords: keywords, minLines: low, maxLines: high)
            for text in try run(grammar, count: 100, seedBase: UInt64(index) * 1000, closers: ")]}'\"\n") {
                items.append(["kind": "calls", "text": text, "name": name, "min": low, "max": high])
            }
        }
        let verdicts = try PythonChecker.check(items)
        #expect(verdicts.count == items.count)
        for (item, verdict) in zip(items, verdicts) where verdict != "ok" { Issue.record("\(verdict): \(item["text"]!)") }
    }

    @Test func fencesAndSentencesHaveTheirForm() throws {
        var items: [[String: Any]] = []
        // (kind, grammar, closing bytes, closing tokens, generations, most tokens)
        let cases: [(String, Grammar, String, [String], Int, Int)] = [
            ("fenced", BuiltInConstraints.fencedPython, "\n`", [], 80, 300),
            ("sentence", BuiltInConstraints.instructionSentence, ".?!", [], 80, 300),
            ("rewrite", BuiltInConstraints.instructionAndCode, "\n`", ["."], 80, 300),
            ("rewrite-keep_big", try BuiltInConstraints.instructionAndCode(function: "keep_big"), "\n`", [".", "def", " keep"], 40, 1500),
        ]
        for (index, (kind, grammar, closers, exact, count, maxTokens)) in cases.enumerated() {
            for text in try run(grammar, count: count, seedBase: 5000 + UInt64(index) * 1000, closers: closers, exact: exact,
                                maxTokens: maxTokens) {
                items.append(["kind": kind, "text": text])
            }
        }
        let verdicts = try PythonChecker.check(items)
        #expect(verdicts.count == items.count)
        for (item, verdict) in zip(items, verdicts) where verdict != "ok" { Issue.record("\(verdict): \(item["text"]!)") }
    }

    @Test func jsonOutputsParseAndFollowTheSchema() throws {
        let schema = #"""
        {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 12}, "tags": {"type": "array", "items": {"enum": ["a", "b", 3]}, "maxItems": 3},
            "size": {"type": "integer"}, "ratio": {"type": ["number", "null"]}, "ok": {"type": "boolean"}},
         "required": ["size", "name"]}
        """#
        let grammar = try JSONSchemaCompiler.compile(Data(schema.utf8))
        for text in try run(grammar, count: 100, seedBase: 9000, closers: "]}\"") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
            #expect(object["size"] is Int && object["name"] is String, "\(text)")
            #expect(Set(object.keys).isSubset(of: ["name", "tags", "size", "ratio", "ok"]), "\(text)")
            #expect(((object["name"] as? String)?.count ?? 0) <= 12, "\(text)")
            if let tags = object["tags"] { #expect(((tags as? [Any])?.count ?? 99) <= 3, "\(text)") }
        }
        for text in try run(BuiltInConstraints.jsonObject, count: 60, seedBase: 9500, closers: "]}\"") {
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any], "\(text)")
        }
    }
}
