// What clients send to `serve`, decoded leniently where the OpenAI API is lenient (a string or a list for `stop`
// and `input`, a string or text parts for message content) and strictly elsewhere: a wrong value is a 400 that
// names its field. Field names are the API's; the structured-output fields are those of llama.cpp and vLLM.
import Foundation
import Tokenizers

/// `stop` and `input` take one string or a list of them.
struct OneOrMany: Decodable, Sendable {
    var values: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            values = [one]
        } else {
            values = try container.decode([String].self)
        }
    }
}

struct ChatMessageBody: Decodable, Sendable {
    /// Content as text parts (`[{"type": "text", "text": ...}]`), the form newer clients send.
    struct Part: Decodable, Sendable {
        var type: String
        var text: String?
    }

    var role: ChatMessage.Role
    var content: String

    enum CodingKeys: String, CodingKey { case role, content }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .role)
        guard let role = ChatMessage.Role(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .role, in: container,
                                                   debugDescription: "must be system, user or assistant, not '\(name)'")
        }
        self.role = role
        if let text = try? container.decode(String.self, forKey: .content) {
            content = text
        } else {
            let parts = try container.decode([Part].self, forKey: .content)
            guard parts.allSatisfy({ $0.type == "text" && $0.text != nil }) else {
                throw DecodingError.dataCorruptedError(forKey: .content, in: container,
                                                       debugDescription: "only text parts are supported")
            }
            content = parts.compactMap(\.text).joined()
        }
    }
}

/// `response_format`: text, any JSON object, or JSON matching a schema.
struct ResponseFormatBody: Decodable, Sendable {
    struct Schema: Decodable, Sendable {
        var name: String?
        var schema: JSONValue?
    }

    var type: String
    var jsonSchema: Schema?

    enum CodingKeys: String, CodingKey {
        case type
        case jsonSchema = "json_schema"
    }
}

/// The sampling and structured-output fields chat and text completions share.
struct GenerationFields: Decodable, Sendable {
    var model: String?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var temperature: Double?
    var topP: Double?
    var topK: Int?
    var minP: Double?
    var seed: UInt64?
    var stop: OneOrMany?
    var n: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var responseFormat: ResponseFormatBody?
    /// llama.cpp's GBNF grammar (our grammar format reads it).
    var grammar: String?
    /// A regular expression the whole answer must match.
    var regex: String?
    /// Generate to `max_tokens` whatever the model says (llama.cpp's and vLLM's field; load tests use it).
    var ignoreEos: Bool?

    struct StreamOptions: Decodable, Sendable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    enum CodingKeys: String, CodingKey {
        case model, temperature, seed, stop, n, stream, grammar, regex
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case streamOptions = "stream_options"
        case ignoreEos = "ignore_eos"
        case responseFormat = "response_format"
    }
}

struct ChatCompletionBody: Decodable, Sendable {
    var messages: [ChatMessageBody]
    var fields: GenerationFields

    enum CodingKeys: String, CodingKey { case messages }

    init(from decoder: any Decoder) throws {
        messages = try decoder.container(keyedBy: CodingKeys.self).decode([ChatMessageBody].self, forKey: .messages)
        fields = try GenerationFields(from: decoder)
    }
}

struct CompletionBody: Decodable, Sendable {
    var prompt: OneOrMany
    var fields: GenerationFields

    enum CodingKeys: String, CodingKey { case prompt }

    init(from decoder: any Decoder) throws {
        prompt = try decoder.container(keyedBy: CodingKeys.self).decode(OneOrMany.self, forKey: .prompt)
        fields = try GenerationFields(from: decoder)
    }
}

struct EmbeddingsBody: Decodable, Sendable {
    var model: String?
    var input: OneOrMany
    /// float (the default) or base64 (little-endian float32, what the official Python client asks for).
    var encodingFormat: String?

    enum CodingKeys: String, CodingKey {
        case model, input
        case encodingFormat = "encoding_format"
    }
}

/// Any JSON value, kept to hand a schema to the JSON-schema compiler as text.
enum JSONValue: Decodable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Back to JSON text (keys sorted, so one schema always gives one text and one cached grammar).
    var text: String {
        switch self {
        case .null: "null"
        case let .bool(value): value ? "true" : "false"
        case let .number(value):
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case let .string(value): Self.quoted(value)
        case let .array(items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case let .object(members):
            "{" + members.keys.sorted().map { Self.quoted($0) + ":" + members[$0]!.text }.joined(separator: ",") + "}"
        }
    }

    static func quoted(_ string: String) -> String {
        let data = try! JSONEncoder().encode(string)
        return String(decoding: data, as: UTF8.self)
    }
}
