// The interface the pipeline generates text through. `generate(batch:)` lets an implementation decode
// requests together (LlamaGenerator runs them in its batch engine).
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

    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptIDs.count) / prefillSeconds : 0 }
    /// Decode speed over the tokens after the first (the first comes from the prefill's logits).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(max(ids.count - 1, 0)) / decodeSeconds : 0 }
}

public protocol TextGenerator: Sendable {
    /// Generates for one request; `onText` receives the text as it is decoded (whole characters only).
    func generate(_ request: GenerationRequest, onText: ((String) -> Void)?) throws -> GenerationResult
    /// Generates for many requests; implementations may batch them.
    func generate(batch requests: [GenerationRequest]) throws -> [GenerationResult]
}

extension TextGenerator {
    public func generate(_ request: GenerationRequest) throws -> GenerationResult {
        try generate(request, onText: nil)
    }

    public func generate(batch requests: [GenerationRequest]) throws -> [GenerationResult] {
        try requests.map { try generate($0, onText: nil) }
    }
}
