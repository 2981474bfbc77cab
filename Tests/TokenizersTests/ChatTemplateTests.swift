// Chat templates: a model's own Jinja template rendered as transformers' apply_chat_template renders it
// (chat_template.json for SmolLM2; Tests/Fixtures/chat-templates for the other families), and the built-in formats.
import Foundation
import Testing
import Tokenizers

struct ChatTemplateTests {
    var fixture: [String: Any] {
        let url = SmolLM2Tokenizer.fixtures.appendingPathComponent("chat_template.json")
        return (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any] ?? [:]
    }

    static func familyTemplate(_ name: String) throws -> String {
        let url = SmolLM2Tokenizer.fixtures.deletingLastPathComponent().appendingPathComponent("chat-templates/\(name).jinja")
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func smolLM2TemplateRendersLikeTransformers() throws {
        let source = try #require(fixture["template"] as? String)
        let template = try ChatTemplate(jinja: source)
        guard case .model = template else { Issue.record("the file's template should run as Jinja"); return }
        let cases = try #require(fixture["cases"] as? [[String: Any]])
        #expect(cases.count >= 5)
        for item in cases {
            let messages = (item["messages"] as! [[String: String]]).map {
                ChatMessage(role: ChatMessage.Role(rawValue: $0["role"]!)!, content: $0["content"]!)
            }
            let rendered = try template.render(messages, addGenerationPrompt: item["add_generation_prompt"] as! Bool)
            #expect(rendered == item["rendered"] as! String)
        }
    }

    @Test func specialTokensReachTheTemplate() throws {
        let template = try ChatTemplate(jinja: try Self.familyTemplate("llama3.1"), bosToken: "<|begin_of_text|>", eosToken: "<|eot_id|>")
        let text = try template.render([ChatMessage(role: .user, content: "Hi")])
        #expect(text.hasPrefix("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"))
        #expect(text.hasSuffix("<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"))
        #expect(template.printedBOS == "<|begin_of_text|>")
        #expect(ChatTemplate.minicpm.printedBOS == nil)
    }

    @Test(.enabled(if: SentencePieceFixture.modelInstalled))
    func aTemplateThatPrintsBOSGetsOneBOS() throws {
        let tokenizer = try #require(SentencePieceFixture.tokenizer)
        let bosID = try #require(tokenizer.bosID)
        #expect(tokenizer.addsBOS)
        let template = try ChatTemplate(jinja: try Self.familyTemplate("mistral-nemo"), bosToken: "<s>", eosToken: "</s>")
        let messages = [ChatMessage(role: .user, content: "Hi")]
        #expect(try template.render(messages).hasPrefix("<s>[INST]"))
        let ids = try template.promptIDs(messages, tokenizer: tokenizer)
        #expect(ids.first == bosID && ids.dropFirst().first != bosID)
        #expect(ids == tokenizer.encode(String(try template.render(messages).dropFirst(3)), addSpecialTokens: true))
        // A template that does not print it still gets the BOS the tokenizer adds.
        #expect(try ChatTemplate.chatml(defaultSystem: nil).promptIDs(messages, tokenizer: tokenizer).first == bosID)
    }

    @Test func aTemplateThatRefusesAConversationSaysWhy() throws {
        let gemma = try ChatTemplate(jinja: try Self.familyTemplate("gemma2"), bosToken: "<bos>", eosToken: "<eos>")
        let refused = [ChatMessage(role: .system, content: "Be brief."), ChatMessage(role: .user, content: "Hi")]
        #expect(throws: TokenizerError.chatRefused(reason: "System role not supported")) { try gemma.render(refused) }
        #expect(try gemma.render([ChatMessage(role: .user, content: "Hi")]) == "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n")
    }

    @Test func constructsTheInterpreterLacksAreNamedOnLoad() {
        for (source, named) in [("{% include 'header.jinja' %}", "include"), ("{{ messages|frobnicate }}", "frobnicate"),
                                ("{% for m in messages %}{{ m.content }}", "endfor")] {
            do {
                _ = try ChatTemplate(jinja: source)
                Issue.record("\(source) loaded")
            } catch {
                #expect(error.localizedDescription.contains(named), "\(error.localizedDescription)")
                #expect(error.localizedDescription.contains("line 1"))
            }
        }
    }

    @Test func builtInFormats() throws {
        #expect(try ChatTemplate.minicpm.render([ChatMessage(role: .user, content: "hi")]) == "<用户>hi<AI>")
        #expect(try ChatTemplate(name: "chatml")?.render([ChatMessage(role: .user, content: "hi")])
            == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
        #expect(ChatTemplate(name: "llama3") == nil)
    }
}
