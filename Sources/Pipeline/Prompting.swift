// Turns a prompt spec and a sample into chat messages, and derives per-request seeds.
import Constraints
import ModelFiles
import Store
import Tokenizers

enum Prompting {
    /// The chat for one request. `choice` (the sample's id) picks which examples are shown when the spec
    /// shows fewer than it has: the same sample always sees the same ones, different samples different ones.
    static func messages(_ spec: Recipe.PromptSpec, fields: [String: String], choice: String = "") -> [ChatMessage] {
        var messages: [ChatMessage] = []
        if let system = spec.system, !system.isEmpty { messages.append(ChatMessage(role: .system, content: system)) }
        for example in shownExamples(spec, choice: choice) {
            messages.append(ChatMessage(role: .user, content: example.user))
            messages.append(ChatMessage(role: .assistant, content: example.assistant))
        }
        messages.append(ChatMessage(role: .user, content: fill(spec.user, fields)))
        return messages
    }

    static func shownExamples(_ spec: Recipe.PromptSpec, choice: String) -> [Recipe.PromptSpec.Example] {
        guard let shown = spec.examplesShown, shown < spec.examples.count else { return spec.examples }
        let ranked = spec.examples.indices.sorted {
            (SHA256.hex(Array("\(choice)|\($0)".utf8)), $0) < (SHA256.hex(Array("\(choice)|\($1)".utf8)), $1)
        }
        return ranked.prefix(max(0, shown)).sorted().map { spec.examples[$0] }
    }

    /// Replaces `{name}` placeholders in one pass, so text inserted for one field is never rewritten by another.
    static func fill(_ template: String, _ fields: [String: String]) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = fields[String(after[..<close])] {
                out += value
                rest = after[after.index(after: close)...]
            } else {
                out += "{"
                rest = after
            }
        }
        return out + rest
    }

    /// A seed that depends only on the run seed, the sample, the stage and the attempt: resumable and batch-independent.
    static func seed(run: Int, sample: String, stage: String, attempt: Int) -> UInt64 {
        let digest = SHA256.hex(Array("\(run)|\(sample)|\(stage)|\(attempt)".utf8))
        return UInt64(digest.prefix(16), radix: 16) ?? 0
    }

    /// Room for an answer that writes the sample's code again: `sampling.max_tokens`, or for a whole class enough for
    /// the class itself (about three bytes of code a token, and the instruction), up to 4,096 tokens.
    static func codeAnswerTokens(_ sample: SampleRecord, sampling: Recipe.Sampling) -> Int {
        guard EntryPoint(sample.entryPoint).isClass else { return sampling.maxTokens }
        return max(sampling.maxTokens, min(4096, sample.code.utf8.count / 3 + 128))
    }

    /// Attempt 0 is greedy; later attempts sample with the recipe's settings.
    static func request(_ messages: [ChatMessage], sampling: Recipe.Sampling, seed: UInt64, attempt: Int,
                        constraint: Grammar? = nil, maxTokens: Int? = nil) -> ChatRequest {
        ChatRequest(messages: messages, maxTokens: maxTokens ?? sampling.maxTokens,
                          temperature: attempt == 0 ? 0 : sampling.temperature,
                          topP: sampling.topP, topK: sampling.topK, seed: seed, stop: [], constraint: constraint)
    }
}
