// What `serve` answers, in the shapes OpenAI clients parse: completions whole or as server-sent event chunks,
// embeddings, the model list.
import Foundation

struct UsageBody: Encodable, Sendable {
    var promptTokens: Int
    var completionTokens: Int
    var totalTokens: Int { promptTokens + completionTokens }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case totalTokens = "total_tokens"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(promptTokens, forKey: .promptTokens)
        try container.encode(completionTokens, forKey: .completionTokens)
        try container.encode(totalTokens, forKey: .totalTokens)
    }
}

struct AssistantMessageBody: Encodable, Sendable {
    var role: String?
    var content: String?
}

/// One choice of a chat completion: whole (`message`) or a streamed piece (`delta`).
struct ChatChoiceBody: Encodable, Sendable {
    var index: Int
    var message: AssistantMessageBody?
    var delta: AssistantMessageBody?
    var finishReason: String?

    enum CodingKeys: String, CodingKey {
        case index, message, delta
        case finishReason = "finish_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(delta, forKey: .delta)
        // Clients read a missing finish reason and null alike, but some check for the key.
        try container.encode(finishReason, forKey: .finishReason)
    }
}

struct TextChoiceBody: Encodable, Sendable {
    var index: Int
    var text: String
    var finishReason: String?

    enum CodingKeys: String, CodingKey {
        case index, text
        case finishReason = "finish_reason"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(text, forKey: .text)
        try container.encode(finishReason, forKey: .finishReason)
    }
}

/// A chat or text completion, or one chunk of a streamed one (`object` says which).
struct CompletionResponseBody<Choice: Encodable & Sendable>: Encodable, Sendable {
    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: UsageBody?
}

struct EmbeddingItemBody: Encodable, Sendable {
    enum Vector: Sendable {
        case floats([Float])
        case base64(String)
    }

    var index: Int
    var embedding: Vector
    let object = "embedding"

    enum CodingKeys: String, CodingKey { case index, embedding, object }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(object, forKey: .object)
        try container.encode(index, forKey: .index)
        switch embedding {
        case let .floats(values): try container.encode(values, forKey: .embedding)
        case let .base64(text): try container.encode(text, forKey: .embedding)
        }
    }
}

struct EmbeddingsResponseBody: Encodable, Sendable {
    let object = "list"
    var data: [EmbeddingItemBody]
    var model: String
    var usage: UsageBody
}

struct ModelListBody: Encodable, Sendable {
    struct Model: Encodable, Sendable {
        var id: String
        let object = "model"
        var created: Int
        /// Clients that adapt to the server (our `build`) read who serves from here, as they do for vLLM and llama.cpp.
        var ownedBy: String

        enum CodingKeys: String, CodingKey {
            case id, object, created
            case ownedBy = "owned_by"
        }
    }

    let object = "list"
    var data: [Model]
}

extension EmbeddingItemBody.Vector {
    /// Little-endian float32 bytes in base64, as the OpenAI API sends when asked for `base64`.
    static func encoding(_ vector: [Float]) -> Self {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return .base64(Data(bytes).base64EncodedString())
    }
}
