// The interface the pipeline generates text through. `results(batch:)` lets an implementation decode
// requests together (LlamaGenerator runs them in its batch engine), each request succeeding or failing alone.
import Constraints
import Tokenizers

public enum Prompt: Sendable, Equatable {
    /// Raw text, tokenized as is.
    case text(String)
    /// Chat messages, rendered with the model's chat template.
    case chat([ChatMessage])
}

public struct GenerationRequest: Sendable, Equatable {
    public var prompt: Prompt
    public var settings: SamplingSettings
    /// Only text this grammar accepts is generated (see Constraints); nil leaves the output free.
    public var constraint: Grammar?

    public init(prompt: Prompt, settings: SamplingSettings = .greedy, constraint: Grammar? = nil) {
        self.prompt = prompt
        self.settings = settings
        self.constraint = constraint
    }
}

public enum FinishReason: String, Sendable, Codable {
    case endOfSequence = "eos"
    case stopString = "stop"
    case maxTokens = "length"
    case contextFull = "context"
    /// The caller cancelled the request (batched generation).
    case cancelled
}

public struct GenerationResult: Sendable, Equatable {
    public var promptIDs: [Int]
    public var ids: [Int]
    public var text: String
    public var finishReason: FinishReason
    public var prefillSeconds: Double
    public var decodeSeconds: Double

    /// Public so that generators outside the engine can implement `TextGenerator`.
    public init(promptIDs: [Int] = [], ids: [Int] = [], text: String, finishReason: FinishReason = .endOfSequence,
                prefillSeconds: Double = 0, decodeSeconds: Double = 0) {
        self.promptIDs = promptIDs
        self.ids = ids
        self.text = text
        self.finishReason = finishReason
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
    }

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptIDs.count) / prefillSeconds : 0 }
    /// Decode speed over the tokens after the first (the first comes from the prefill's logits).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(ids.count - 1, 0)) / decodeSeconds : 0 }
}

public protocol TextGenerator: Sendable {
    /// Generates for one request; `onText` receives the text as it is decoded (whole characters only).
    func generate(_ request: GenerationRequest, onText: ((String) -> Void)?) throws -> GenerationResult
    /// Generates for many requests; implementations may batch them. Throws when any request fails.
    func generate(batch requests: [GenerationRequest]) throws -> [GenerationResult]
    /// One outcome per request, in order: a request that cannot run (empty, too long, beyond the KV bound,
    /// a constraint dead end) fails alone and the others go on. Throws only for what fails every request
    /// alike (a chat prompt for a model without a chat template). Errors are `any Error` so that the
    /// default, over `generate(_:onText:)`, can pass on whatever an implementation throws.
    func results(batch requests: [GenerationRequest]) throws -> [Result<GenerationResult, any Error>]
}

extension TextGenerator {
    public func generate(_ request: GenerationRequest) throws -> GenerationResult {
        try generate(request, onText: nil)
    }

    public func generate(batch requests: [GenerationRequest]) throws -> [GenerationResult] {
        try results(batch: requests).map { try $0.get() }
    }

    /// One request after another, each error caught for its own request.
    public func results(batch requests: [GenerationRequest]) throws -> [Result<GenerationResult, any Error>] {
        requests.map { request in Result { try generate(request, onText: nil) } }
    }
}
