// Which OpenAI-compatible server answers, and so how the pipeline's grammars reach it: llama.cpp, vLLM and
// SGLang each take GBNF text in a field of their own; hosted APIs take none. Declared in the recipe
// (`server:`) or told from the `owned_by` of the server's model list.

public enum ServerKind: String, Sendable, CaseIterable {
    /// Tell from the model list.
    case auto
    case semiInstruct = "semi-instruct"
    case llamaCpp = "llama.cpp"
    /// vLLM 0.10.2 and later: `structured_outputs: {grammar: ...}`.
    case vllm
    /// vLLM before 0.12: `guided_grammar`.
    case vllmGuided = "vllm-guided"
    case sglang
    /// Any other server: no grammar is sent, answers are parsed as they come.
    case openai

    /// The kind an `owned_by` names (what each server writes in /v1/models).
    public init(owner: String) {
        switch owner.lowercased() {
        case "semi-instruct": self = .semiInstruct
        case "llamacpp", "llama.cpp": self = .llamaCpp
        case "vllm": self = .vllm
        case "sglang": self = .sglang
        default: self = .openai
        }
    }

    /// Whether the server takes a grammar that constrains its answer.
    public var constrains: Bool { ![.openai, .auto].contains(self) }

    /// Whether the server takes OpenAI's `n` (llama.cpp's refuses any `n` but 1); a server that takes it yet sends fewer
    /// answers gets the rest asked one at a time.
    public var takesAnswerCount: Bool { self != .llamaCpp }

    /// Where the grammar goes, for the run's record.
    public var grammarField: String? {
        switch self {
        case .semiInstruct, .llamaCpp: "grammar"
        case .vllm: "structured_outputs.grammar"
        case .vllmGuided: "guided_grammar"
        case .sglang: "ebnf"
        case .openai, .auto: nil
        }
    }

    /// Puts the GBNF grammar, top-k (and for llama.cpp min-p 0) and the seed where this server reads them; a hosted
    /// API gets neither top-k (it refuses unknown fields) nor a grammar.
    public func shape(_ request: inout ChatCompletionRequest, grammar: String?, topK: Int, seed: UInt64) {
        // Our own server takes the whole 64-bit seed (so it samples as the embedded engine does); others often read 32 bits.
        request.seed = self == .semiInstruct ? seed : seed & 0x7fff_ffff
        guard self != .openai && self != .auto else { return }
        request.topK = topK
        // llama.cpp's server cuts at min_p 0.05 unless told; the pipeline's sampling (and our engine's) has none.
        if self == .llamaCpp { request.minP = 0 }
        guard let grammar else { return }
        switch self {
        case .semiInstruct, .llamaCpp: request.grammar = grammar
        case .vllm: request.structuredOutputs = .init(grammar: grammar)
        case .vllmGuided: request.guidedGrammar = grammar
        case .sglang: request.ebnf = grammar
        case .openai, .auto: break
        }
    }
}
