// Text generation with a Llama-family model: tokenize, prefill, then sample and decode token by token
// until end of sequence, a stop string, the token limit or the end of the context.
import Foundation
import Constraints
import Kernels
import Tokenizers

public final class LlamaGenerator: TextGenerator, @unchecked Sendable {
    public let loaded: LoadedModel
    /// Overrides the model's own chat template when set.
    public let templateOverride: ChatTemplate?
    /// Activations of the decoding matrix products: int8 is fastest, float tracks a float reference closely.
    public let precision: ActivationPrecision
    private let lock = NSLock()
    /// The vocabulary trie and per-grammar token masks, built on the first constrained request.
    public let constraintCache: TokenMatcherCache

    public init(_ loaded: LoadedModel, template: ChatTemplate? = nil, precision: ActivationPrecision = .int8) {
        self.loaded = loaded
        templateOverride = template
        self.precision = precision
        constraintCache = TokenMatcherCache(tokenizer: loaded.tokenizer)
    }

    public var tokenizer: BPETokenizer { loaded.tokenizer }

    /// The template chat prompts are rendered with.
    public func chatTemplate() throws(EngineError) -> ChatTemplate {
        if let templateOverride { return templateOverride }
        if let template = loaded.chatTemplate { return template }
        if let source = loaded.chatTemplateSource {
            do { _ = try ChatTemplate(jinja: source) } catch { throw .tokenizer(error.localizedDescription) }
        }
        throw .tokenizer("\(loaded.file.path): the model has no chat template; name one (chatml, minicpm)")
    }

    /// The ids a prompt becomes (BOS added when the model asks for it).
    public func promptIDs(_ prompt: Prompt) throws(EngineError) -> [Int] {
        switch prompt {
        case let .text(text): return tokenizer.encode(text, addSpecialTokens: true)
        case let .chat(messages):
            return tokenizer.encode(try chatTemplate().render(messages, addGenerationPrompt: true), addSpecialTokens: true)
        }
    }

    public func generate(_ request: GenerationRequest, onText: ((String) -> Void)?) throws -> GenerationResult {
        let prompt = try promptIDs(request.prompt)
        return try lock.withLock { try generate(promptIDs: prompt, settings: request.settings, constraint: request.constraint, onText: onText) }
    }

    /// Generation from ids (tests and benchmarks feed ids directly).
    public func generate(promptIDs prompt: [Int], settings: SamplingSettings, constraint: Grammar? = nil,
                         onText: ((String) -> Void)? = nil) throws(EngineError) -> GenerationResult {
        guard !prompt.isEmpty else { throw .emptyPrompt }
        let contextLength = loaded.config.contextLength
        guard prompt.count < contextLength else { throw .promptTooLong(tokens: prompt.count, contextLength: contextLength) }
        let session = loaded.model.makeSession(capacity: min(contextLength, prompt.count + max(settings.maxTokens, 1)),
                                              precision: precision)
        // `logits` points into the session's buffer: keep the session alive until the last read.
        defer { withExtendedLifetime(session) {} }
        var sampler = Sampler(settings: settings)
        var constrained = ConstrainedStep(constraint, cache: constraintCache)
        var decoder = StreamingDecoder(skipSpecialTokens: true)
        let ends = tokenizer.endIDs
        let longestStop = settings.stop.map(\.utf8.count).max() ?? 0

        let prefillStart = DispatchTime.now().uptimeNanoseconds
        var logits = session.process(prompt)
        let prefillEnd = DispatchTime.now().uptimeNanoseconds

        var ids: [Int] = [], text = ""
        var reason = FinishReason.maxTokens
        generation: while ids.count < settings.maxTokens {
            let next = try constrained.sample(logits, with: &sampler)
            ids.append(next)
            if ends.contains(next) {
                reason = .endOfSequence
                break
            }
            let piece = decoder.append(next, from: tokenizer)
            if !piece.isEmpty {
                let searchFrom = text.utf8.count - min(text.utf8.count, longestStop)
                text += piece
                for stop in settings.stop where !stop.isEmpty {
                    let tail = text.utf8.dropFirst(searchFrom)
                    if let range = String(Substring(tail)).range(of: stop) {
                        let cut = searchFrom + String(Substring(tail))[..<range.lowerBound].utf8.count
                        let kept = String(decoding: text.utf8.prefix(cut), as: UTF8.self)
                        onText?(String(decoding: kept.utf8.dropFirst(text.utf8.count - piece.utf8.count), as: UTF8.self))
                        text = kept
                        reason = .stopString
                        break generation
                    }
                }
                onText?(piece)
            }
            if ids.count >= settings.maxTokens { break }
            guard session.count < session.capacity else {
                reason = .contextFull
                break
            }
            logits = session.decode(next)
        }
        if reason != .stopString {
            let rest = decoder.finish()
            text += rest
            if !rest.isEmpty { onText?(rest) }
        }
        let decodeEnd = DispatchTime.now().uptimeNanoseconds
        return GenerationResult(promptIDs: prompt, ids: ids, text: text, finishReason: reason,
                                prefillSeconds: Double(prefillEnd - prefillStart) / 1e9,
                                decodeSeconds: Double(decodeEnd - prefillEnd) / 1e9)
    }
}
