// Chat formats. Rather than run Jinja, the engine recognises the template families it supports and
// renders them natively, matching what `transformers`' `apply_chat_template` produces for them:
//
//   chatml:  <|im_start|>{role}\n{content}<|im_end|>\n ... [<|im_start|>assistant\n]
//            with the template's default system prompt when the first message is not a system one
//            (SmolLM2, Qwen2). Recognised by `<|im_start|>` in the template.
//   minicpm: <用户>{user}<AI>{assistant} (llama.cpp's minicpm template; system text leads the first turn).

public struct ChatMessage: Sendable, Equatable, Codable {
    public enum Role: String, Sendable, Codable { case system, user, assistant }
    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

public enum ChatTemplate: Sendable, Equatable {
    case chatml(defaultSystem: String?)
    case minicpm

    /// Names accepted where a recipe or flag overrides the model's template.
    public init?(name: String) {
        switch name {
        case "chatml": self = .chatml(defaultSystem: nil)
        case "minicpm": self = .minicpm
        default: return nil
        }
    }

    /// Recognises a model's Jinja template; throws naming the template when its family is unknown.
    public init(jinja template: String) throws(TokenizerError) {
        if template.contains("<|im_start|>") {
            self = .chatml(defaultSystem: Self.literalSystemPrompt(in: template))
        } else if template.contains("<用户>") {
            self = .minicpm
        } else {
            throw .unsupportedChatTemplate(template: template)
        }
    }

    public var name: String {
        switch self {
        case .chatml: "chatml"
        case .minicpm: "minicpm"
        }
    }

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
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
        }
    }

    /// The text of `<|im_start|>system\n...<|im_end|>` written literally in the template (its default).
    /// Templates spell the newline either as a real newline or as the two characters `\n`.
    static func literalSystemPrompt(in template: String) -> String? {
        for newline in ["\n", "\\n"] {
            let marker = "<|im_start|>system" + newline
            var rest = template[...]
            while let start = rest.range(of: marker) {
                let after = rest[start.upperBound...]
                // `'<|im_start|>system\n' + messages[0]['content']` is not a default: the literal ends there.
                if let end = after.range(of: "<|im_end|>") {
                    let text = after[..<end.lowerBound]
                    if !text.contains("'") && !text.contains("\"") {
                        return text.replacingOccurrences(of: "\\n", with: "\n")
                    }
                }
                rest = after
            }
        }
        return nil
    }
}
