// The OpenAI-compatible HTTP API as Codable values: what vLLM, SGLang, llama.cpp's llama-server, TGI and hosted
// APIs all accept for chat completions and embeddings. Fields a server does not know it ignores.

public struct ChatCompletionRequest: Codable, Sendable, Equatable {
    public struct Message: Codable, Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) { self.role = role; self.content = content }
    }

    public var model: String
    public var messages: [Message]
    public var maxTokens: Int
    public var temperature: Double
    public var topP: Double
    public var seed: UInt64?
    public var stop: [String]?
    /// Answers wanted (OpenAI's `n`); nil asks for one.
    public var n: Int?
    /// Fields only some servers read (see `ServerKind.shape`); nil ones are not sent.
    public var topK: Int?
    public var minP: Double?
    public var grammar: String?
    public var guidedGrammar: String?
    public var structuredOutputs: StructuredOutputs?
    public var ebnf: String?

    public struct StructuredOutputs: Codable, Sendable, Equatable {
        public var grammar: String
    }

    public init(model: String, messages: [Message], maxTokens: Int, temperature: Double, topP: Double, seed: UInt64?,
                stop: [String]?) {
        self.model = model; self.messages = messages; self.maxTokens = maxTokens; self.temperature = temperature
        self.topP = topP; self.seed = seed; self.stop = stop
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, seed, stop, n, grammar, ebnf
        case maxTokens = "max_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case guidedGrammar = "guided_grammar"
        case structuredOutputs = "structured_outputs"
    }
}

public struct ChatCompletionResponse: Codable, Sendable, Equatable {
    public struct Choice: Codable, Sendable, Equatable {
        /// Which of the `n` answers this is (servers may send them in any order).
        public var index: Int?
        public var message: ChatCompletionRequest.Message
        public var finishReason: String?

        enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    public struct Usage: Codable, Sendable, Equatable {
        public var promptTokens: Int
        public var completionTokens: Int

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
        }
    }

    public var choices: [Choice]
    public var usage: Usage?
}

public struct EmbeddingRequest: Codable, Sendable, Equatable {
    public var model: String
    public var input: [String]
    public init(model: String, input: [String]) { self.model = model; self.input = input }
}

public struct EmbeddingResponse: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        public var index: Int
        public var embedding: [Float]
    }

    public var data: [Item]
}

/// `/v1/models`: who owns each model tells which server this is.
struct ModelListResponse: Decodable {
    struct Model: Decodable {
        var id: String
        var ownedBy: String?
        enum CodingKeys: String, CodingKey {
            case id
            case ownedBy = "owned_by"
        }
    }

    var data: [Model]
}

/// The error object OpenAI-style servers send with a 4xx or 5xx status.
struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var message: String?
    }

    var error: Detail?
}
