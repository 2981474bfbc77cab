// The chat templates that ship with the models users bring (Qwen2.5/3, Llama 3.1/3.2, Phi-3.5, Granite 3.3,
// Gemma 2, Mistral Nemo, DeepSeek, SmolLM2/3, MiniCPM, StarCoder2), rendered exactly as transformers'
// apply_chat_template renders them (Tests/Fixtures/chat-templates, made by scripts/fixtures/chat_templates.py).
import Foundation
import Jinja
import Testing

struct RealChatTemplatesTests {
    struct Case: Decodable {
        let name: String
        let messages: [FixtureValue]
        let add_generation_prompt: Bool
        let bos_token: String?
        let eos_token: String?
        let kwargs: [String: FixtureValue]?
        let rendered: String?
        let error: String?
    }

    struct Template: Decodable, CustomTestStringConvertible {
        let file: String
        let cases: [Case]
        var testDescription: String { file }
    }

    struct Fixture: Decodable { let templates: [String: Template] }

    static let templates: [Template] = ((try? JinjaFixture.decode(Fixture.self, "chat-templates/cases.json").templates) ?? [:])
        .sorted { $0.key < $1.key }.map(\.value)

    @Test func everyFamilyIsCovered() {
        #expect(Self.templates.count >= 14)
        #expect(Self.templates.reduce(0) { $0 + $1.cases.count } >= 80)
    }

    @Test(arguments: templates) func rendersLikeTransformers(_ template: Template) throws {
        let source = try String(contentsOf: JinjaFixture.root.appendingPathComponent("chat-templates/" + template.file), encoding: .utf8)
        let parsed = try JinjaTemplate(source)
        for item in template.cases {
            // What apply_chat_template passes: the messages, the flag, tools and documents as None, the special tokens.
            var variables: [String: JinjaValue] = [
                "messages": .list(item.messages.map(\.value)), "add_generation_prompt": .bool(item.add_generation_prompt),
                "tools": .none, "documents": .none,
            ]
            if let bos = item.bos_token { variables["bos_token"] = .string(bos) }
            if let eos = item.eos_token { variables["eos_token"] = .string(eos) }
            for (key, value) in item.kwargs ?? [:] { variables[key] = value.value }
            do {
                let text = try parsed.render(variables, now: JinjaFixture.date)
                if let expected = item.rendered {
                    #expect(text == expected, "\(template.file) \(item.name)")
                } else {
                    Issue.record("\(template.file) \(item.name): transformers refused (\(item.error ?? "")) but we rendered \(text.debugDescription)")
                }
            } catch {
                if let expected = item.error {
                    #expect(error.kind == .raised, "\(template.file) \(item.name)")
                    #expect(error.message == expected, "\(template.file) \(item.name)")
                } else {
                    Issue.record("\(template.file) \(item.name): \(error.localizedDescription)")
                }
            }
        }
    }
}
