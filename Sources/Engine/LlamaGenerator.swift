// Text generation with a Llama-family model: tokenize, prefill, then sample and decode token by token
// until end of sequence, a stop string, the token limit or the end of the context. Every request goes through
// the batch engine (alone or with others: the same numbers), at the generator's precision.
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
    /// Bounds of batched generation (sequences at once, KV memory, prefix cache).
    public let batchOptions: BatchOptions
    /// Guards the lazily made batch engine (the engine itself takes callers from any thread).
    private let engineLock = NSLock()
    private var batchEngine: BatchEngine?
    /// The vocabulary trie and per-grammar token masks, built on the first constrained request.
    public let constraintCache: TokenMatcherCache

    /// `promptPrecision` (float unless given) is the prompt tokens' activations; `batchOptions`' own is replaced.
    public init(_ loaded: LoadedModel, template: ChatTemplate? = nil, precision: ActivationPrecision = .int8,
                promptPrecision: PromptPrecision = .float, batchOptions: BatchOptions = BatchOptions()) {
        self.loaded = loaded
        templateOverride = template
        self.precision = precision
        var options = batchOptions
        options.precision = precision
        options.promptPrecision = promptPrecision
        self.batchOptions = options
        constraintCache = TokenMatcherCache(tokenizer: loaded.tokenizer)
    }

    public var tokenizer: any Tokenizer { loaded.tokenizer }

    /// The template chat prompts are rendered with.
    public func chatTemplate() throws(EngineError) -> ChatTemplate {
        if let templateOverride { return templateOverride }
        switch loaded.chatTemplate {
        case let .success(template)?: return template
        case let .failure(error)?: throw .tokenizer("\(loaded.file.path): \(error.localizedDescription)")
        case nil: break
        }
        throw .tokenizer("\(loaded.file.path): the model has no chat template; name one (chatml, minicpm)")
    }

    /// The ids a prompt becomes (BOS added when the model asks for it).
    public func promptIDs(_ prompt: Prompt) throws(EngineError) -> [Int] {
        switch prompt {
        case let .text(text): return tokenizer.encode(text, addSpecialTokens: true)
        case let .chat(messages):
            let template = try chatTemplate()
            do { return try template.promptIDs(messages, tokenizer: tokenizer) } catch { throw .tokenizer(error.localizedDescription) }
        }
    }

    public func generate(_ request: GenerationRequest, onText: ((String) -> Void)?) throws -> GenerationResult {
        let prompt = try promptIDs(request.prompt)
        return try generate(promptIDs: prompt, settings: request.settings, constraint: request.constraint, onText: onText)
    }

    /// Many requests at once; throws the first request's failure (see `results(batch:)` to keep the others).
    public func generate(batch requests: [GenerationRequest]) throws -> [GenerationResult] {
        try results(batch: requests).map { try $0.get() }
    }

    /// Many requests at once, each succeeding or failing alone, decoding together in the batch engine. A missing
    /// chat template throws once.
    public func results(batch requests: [GenerationRequest]) throws -> [Result<GenerationResult, any Error>] {
        // Only a missing chat template fails here, and then for every request alike: it throws once.
        let prompts = try requests.map { try promptIDs($0.prompt) }
        let batch = zip(prompts, requests).map { BatchRequest(promptIDs: $0, settings: $1.settings, constraint: $1.constraint) }
        return run(batch).map { $0.mapError { $0 as any Error } }
    }

    /// Generation from ids (tests and benchmarks feed ids directly).
    public func generate(promptIDs prompt: [Int], settings: SamplingSettings, constraint: Grammar? = nil,
                         onText: ((String) -> Void)? = nil) throws(EngineError) -> GenerationResult {
        // The engine may call back on another caller's thread (the one driving the batch), but only
        // while this call waits for its request, so the callback does not escape (UnsafeSendableCallback).
        var request = BatchRequest(promptIDs: prompt, settings: settings, constraint: constraint)
        if let onText {
            let callback = UnsafeSendableCallback(onText)
            request.onText = { callback.body($0) }
        }
        return try run([request])[0].get()
    }

    /// Runs requests in the batch engine, made on first use (it keeps its prefix cache between calls).
    /// Calls from several threads decode together in the same steps; each returns when its requests are done.
    public func run(_ requests: [BatchRequest]) -> [Result<GenerationResult, EngineError>] {
        let engine = engineLock.withLock {
            if let batchEngine { return batchEngine }
            let made = BatchEngine(model: loaded.model, tokenizer: tokenizer, options: batchOptions, constraintCache: constraintCache)
            batchEngine = made
            return made
        }
        return engine.run(requests)
    }

    /// The batch engine's counters so far (nil before its first use).
    public var batchStatistics: BatchStatistics? {
        engineLock.withLock { batchEngine }?.statistics
    }

    /// Requests handed to the batch engine and not finished yet, queued or running.
    public var unfinishedRequests: Int {
        engineLock.withLock { batchEngine }?.unfinishedRequests ?? 0
    }
}

/// A callback handed to an API that wants `@Sendable`. Sound because the batch engine runs it only while
/// its caller is blocked waiting for that request, on one thread at a time (the driver's), and every call
/// is ordered before the caller's return by the engine's lock: it never runs beside its owner or after it.
private struct UnsafeSendableCallback: @unchecked Sendable {
    let body: (String) -> Void
    init(_ body: @escaping (String) -> Void) { self.body = body }
}
