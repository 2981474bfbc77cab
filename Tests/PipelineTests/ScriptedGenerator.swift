import Foundation
import Pipeline

/// A generator that answers from a script instead of a model, so stage logic can be tested exactly.
/// Rewrite prompts get the code back unchanged (or a scripted replacement) with an instruction;
/// test-input prompts get the scripted calls for the function named in the prompt.
final class ScriptedGenerator: ChatGenerator, @unchecked Sendable {
    let modelName = "scripted"
    /// Whether it claims to honour constraints (it records them; its answers are scripted either way).
    let supportsConstraints: Bool
    let rewrites: [String: String]
    /// Rewrites that change from one attempt to the next, by entry point: the n-th request gets the n-th (the last repeats).
    let rewriteAttempts: [String: [String]]
    private var rewriteRequests: [String: Int] = [:]
    let inputs: [String: [String]]
    /// Back-translations by entry point (the function written from the instruction alone); unscripted ones return None.
    let backTranslations: [String: String]
    /// Back-translations chosen by a phrase of the instruction shown (checked before `backTranslations`).
    let backTranslationsByPhrase: [(phrase: String, code: String)]
    /// Instructions by entry point, replacing the default one that names the function and claims nothing else: the
    /// rewrite answer carries the first, the n-th instruction request gets the n-th (the last repeats).
    let instructions: [String: [String]]
    private var instructionRequests: [String: Int] = [:]
    /// Requests that fail alone, by "rewrite:ENTRY" or "inputs:ENTRY": the message the generator reports.
    let failures: [String: String]
    private let lock = NSLock()
    private(set) var requests: [ChatRequest] = []

    init(rewrites: [String: String] = [:], rewriteAttempts: [String: [String]] = [:], inputs: [String: [String]],
         failures: [String: String] = [:], supportsConstraints: Bool = false, backTranslations: [String: String] = [:],
         instructions: [String: [String]] = [:], backTranslationsByPhrase: [(phrase: String, code: String)] = []) {
        self.backTranslations = backTranslations
        self.backTranslationsByPhrase = backTranslationsByPhrase
        self.instructions = instructions
        self.rewriteAttempts = rewriteAttempts
        self.supportsConstraints = supportsConstraints
        self.failures = failures
        self.rewrites = rewrites
        self.inputs = inputs
    }

    func generate(_ requests: [ChatRequest]) async throws -> [ChatReply] {
        lock.withLock { self.requests += requests }
        return requests.map { request in
            let prompt = request.messages.last!.content
            let code = Self.fenced(prompt)
            let entry = Self.method(in: prompt) ?? Self.entry(in: code)
            if let message = failures["\(prompt.hasPrefix("Rewrite") ? "rewrite" : "inputs"):\(entry)"] { return .failed(message) }
            let text: String
            if prompt.hasPrefix("Rewrite") && prompt.contains("What it did when it was run:") {
                let scripted = instructions[entry] ?? ["Write a Python function `\(entry)` as shown."]
                let n = lock.withLock { () -> Int in
                    defer { instructionRequests[entry, default: 0] += 1 }
                    return instructionRequests[entry, default: 0]
                }
                text = "Instruction: \(scripted[min(n, scripted.count - 1)])\n\n```python\n\(rewrites[entry] ?? code)\n```"
            } else if prompt.hasPrefix("Write the Python class") {
                let name = code.components(separatedBy: "\n").first { $0.hasPrefix("class ") }.map { String($0.dropFirst(6).prefix { $0 != ":" && $0 != "(" }) } ?? ""
                text = "```python\n\(backTranslations["class " + name] ?? "class \(name):\n    pass\n")\n```"
            } else if prompt.hasPrefix("Write the Python function") || prompt.hasPrefix("Write the method") {
                let code = backTranslationsByPhrase.first { prompt.contains($0.phrase) }?.code ?? backTranslations[entry]
                let name = entry.split(separator: ".").last.map(String.init) ?? entry
                let unscripted = entry.contains(".") ? "def \(name)(self, *args, **kwargs):\n    return None\n" : "def \(entry)(*args, **kwargs):\n    return None\n"
                text = "```python\n\(code ?? unscripted)\n```"
            } else if prompt.hasPrefix("Rewrite") {
                var rewrite = rewrites[entry] ?? code
                if let attempts = rewriteAttempts[entry], !attempts.isEmpty {
                    let n = lock.withLock { () -> Int in
                        defer { rewriteRequests[entry, default: 0] += 1 }
                        return rewriteRequests[entry, default: 0]
                    }
                    rewrite = attempts[min(n, attempts.count - 1)]
                }
                let instruction = instructions[entry]?.first ?? "Write a Python function `\(entry)` as shown."
                text = "Instruction: \(instruction)\n\n```python\n\(rewrite)\n```"
            } else {
                text = (inputs[entry] ?? ["no idea"]).joined(separator: "\n")
            }
            return ChatReply(text: text, promptTokens: prompt.count / 4, completionTokens: text.count / 4, seconds: 0)
        }
    }

    static func fenced(_ prompt: String) -> String {
        let parts = prompt.components(separatedBy: "```python\n")
        return parts.count > 1 ? parts[1].components(separatedBy: "\n```")[0] : ""
    }

    /// A method's prompts name it: "the method `Tally.add`"; a whole class's: "`class Tally`".
    static func method(in prompt: String) -> String? {
        if let range = prompt.range(of: "`class ") {
            return "class " + prompt[range.upperBound...].prefix { $0 != "`" }
        }
        guard let range = prompt.range(of: "the method `") else { return nil }
        let name = prompt[range.upperBound...].prefix { $0 != "`" }
        return name.contains(".") ? String(name) : nil
    }

    /// The last top-level function of the snippet is the entry point (collect puts helpers first).
    static func entry(in code: String) -> String {
        let names = code.components(separatedBy: "\n").filter { $0.hasPrefix("def ") }
            .map { String($0.dropFirst(4).prefix { $0 != "(" }) }
        return names.last ?? ""
    }
}
