// Chat templates rendered natively against transformers' apply_chat_template (chat_template.json).
import Foundation
import Testing
import Tokenizers

struct ChatTemplateTests {
    var fixture: [String: Any] {
        let url = SmolLM2Tokenizer.fixtures.appendingPathComponent("chat_template.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any] ?? [:]
    }

    @Test func smolLM2TemplateRendersLikeTransformers() throws {
        let source = try #require(fixture["template"] as? String)
        let template = try ChatTemplate(jinja: source)
        #expect(template == .chatml(defaultSystem: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"))
        let cases = try #require(fixture["cases"] as? [[String: Any]])
        #expect(cases.count >= 5)
        for item in cases {
            let messages = (item["messages"] as! [[String: String]]).map {
                ChatMessage(role: ChatMessage.Role(rawValue: $0["role"]!)!, content: $0["content"]!)
            }
            let rendered = template.render(messages, addGenerationPrompt: item["add_generation_prompt"] as! Bool)
            #expect(rendered == item["rendered"] as! String)
        }
    }

    @Test func qwenStyleTemplateFindsItsDefaultSystemPrompt() throws {
        let qwen = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
            + "{%- else %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{%- endif %}"
        #expect(try ChatTemplate(jinja: qwen) == .chatml(defaultSystem: "You are a helpful assistant."))
        let plain = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
        #expect(try ChatTemplate(jinja: plain) == .chatml(defaultSystem: nil))
    }

    @Test func unknownTemplatesAreErrors() {
        #expect(throws: TokenizerError.self) { try ChatTemplate(jinja: "[INST] {{ message }} [/INST]") }
    }

    @Test func minicpmFormat() {
        let rendered = ChatTemplate.minicpm.render([ChatMessage(role: .user, content: "hi")])
        #expect(rendered == "<用户>hi<AI>")
    }
}
