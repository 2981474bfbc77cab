// Chat formats. A model's own template (`tokenizer.chat_template` in GGUF, `chat_template` in
// tokenizer_config.json) runs in the Jinja interpreter exactly as transformers' `apply_chat_template` runs it;
// a template using something the interpreter lacks is an error naming it, never a guessed prompt.
// Two formats are also built in, for models without a template and for overrides by name:
//
//   chatml:  <|im_start|>{role}\n{content}<|im_end|>\n ... [<|im_start|>assistant\n]
//   minicpm: <用户>{user}<AI>{assistant} (llama.cpp's minicpm template; system text leads the first turn).
import Foundation
import Jinja

public struct ChatMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

/// A template shipped in a model file, with the special tokens it may print.
public struct ModelChatTemplate: Sendable, Equatable {
    public let template: JinjaTemplate
    public let bosToken: String?
    public let eosToken: String?

    public static func == (a: Self, b: Self) -> Bool {
        a.template.source == b.template.source && a.bosToken == b.bosToken && a.eosToken == b.eosToken
    }
}

public enum ChatTemplate: Sendable, Equatable {
    case chatml(defaultSystem: String?)
    case minicpm
    case model(ModelChatTemplate)

    /// Names accepted where a recipe or flag overrides the model's template.
    public static let builtInNames = ["chatml", "minicpm"]

    public init?(name: String) {
        switch name {
        case "chatml": self = .chatml(defaultSystem: nil)
        case "minicpm": self = .minicpm
        default: return nil
        }
    }

    /// A model's Jinja template; throws naming what the interpreter cannot run.
    public init(jinja source: String, bosToken: String? = nil, eosToken: String? = nil) throws(TokenizerError) {
        do {
            self = .model(ModelChatTemplate(template: try JinjaTemplate(source), bosToken: bosToken, eosToken: eosToken))
        } catch {
            throw .chatTemplate(reason: error.localizedDescription)
        }
    }

    public var name: String {
        switch self {
        case .chatml: "chatml"
        case .minicpm: "minicpm"
        case .model: "the model's own (Jinja)"
        }
    }

    /// The prompt text; a model template may refuse a conversation (`raise_exception`), which throws its message.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true, now: Date = Date()) throws(TokenizerError) -> String {
        switch self {
        case let .chatml(defaultSystem):
            var out = ""
            if let defaultSystem, messages.first?.role != .system {
                out += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
            }
            for message in messages { out += "<|im_start|>\(message.role.rawValue)\n\(message.content)<|im_end|>\n" }
            if addGenerationPrompt { out += "<|im_start|>assistant\n" }
            return out
        case .minicpm:
            var out = "", system = ""
            for message in messages {
                switch message.role {
                case .system: system += message.content
                case .user:
                    out += "<用户>" + system + message.content
                    system = ""
                case .assistant: out += "<AI>" + message.content
                }
            }
            if addGenerationPrompt { out += "<AI>" }
            return out
        case let .model(model):
            // What apply_chat_template passes: the messages, the flag, no tools or documents, the special tokens.
            var variables: [String: JinjaValue] = [
                "messages": .list(messages.map { .dict(JinjaDict([("role", .string($0.role.rawValue)), ("content", .string($0.content))])) }),
                "add_generation_prompt": .bool(addGenerationPrompt), "tools": .none, "documents": .none,
            ]
            if let bos = model.bosToken { variables["bos_token"] = .string(bos) }
            if let eos = model.eosToken { variables["eos_token"] = .string(eos) }
            do {
                return try model.template.render(variables, now: now)
            } catch {
                throw error.kind == .raised ? .chatRefused(reason: error.message) : .chatTemplate(reason: error.localizedDescription)
            }
        }
    }

    /// The ids of a chat prompt, with the tokenizer's BOS when it adds one: once, even when the template prints
    /// it too (Llama 3's `{{ bos_token }}`), as llama.cpp's server keeps it.
    public func promptIDs(_ messages: [ChatMessage], tokenizer: any Tokenizer, now: Date = Date()) throws(TokenizerError) -> [Int] {
        var text = try render(messages, addGenerationPrompt: true, now: now)
        if tokenizer.addsBOS, let bos = printedBOS, text.hasPrefix(bos) { text.removeFirst(bos.count) }
        return tokenizer.encode(text, addSpecialTokens: true)
    }

    /// The BOS text a model template may print.
    public var printedBOS: String? {
        if case let .model(model) = self { return model.bosToken }
        return nil
    }
}
