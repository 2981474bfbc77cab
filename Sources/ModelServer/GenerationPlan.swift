// A completion request checked and turned into engine requests: one per prompt and choice, each with its own
// sampling settings and constraint. Every value out of range is a 400 naming its field.
import Constraints
import Engine
import Foundation

/// Bounds a server puts on what one request may ask.
public struct RequestLimits: Sendable, Equatable {
    /// The most tokens one choice may generate (`max_tokens` above it is refused; absent, it is the default).
    public var maxTokens: Int
    /// The most choices one request may ask for (`n`).
    public var maxChoices: Int
    /// The largest request body, in bytes.
    public var maxBodyBytes: Int

    public init(maxTokens: Int = 4096, maxChoices: Int = 16, maxBodyBytes: Int = 8 << 20) {
        self.maxTokens = maxTokens; self.maxChoices = maxChoices; self.maxBodyBytes = maxBodyBytes
    }
}

struct GenerationPlan: Sendable {
    /// Prompt by prompt, then choice by choice: request `p * choices + c` is prompt p's choice c.
    var requests: [BatchRequest]
    var choices: Int
    var stream: Bool
    var includeUsage: Bool

    /// `prompts` are token ids, already rendered; the plan adds what `fields` ask for.
    init(prompts: [[Int]], fields: GenerationFields, limits: RequestLimits, contextLength: Int) throws(APIError) {
        let maxTokens = fields.maxCompletionTokens ?? fields.maxTokens
        let maxTokensField = fields.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens"
        if let maxTokens, !(1...limits.maxTokens).contains(maxTokens) {
            throw .badField(maxTokensField, "'\(maxTokensField)' must be between 1 and \(limits.maxTokens) (this server's limit), not \(maxTokens)")
        }
        let temperature = fields.temperature ?? 1
        guard (0...2).contains(temperature) else { throw .badField("temperature", "'temperature' must be between 0 and 2, not \(temperature)") }
        let topP = fields.topP ?? 1
        guard topP > 0 && topP <= 1 else { throw .badField("top_p", "'top_p' must be above 0 and at most 1, not \(topP)") }
        let topK = fields.topK ?? 0
        guard topK >= 0 else { throw .badField("top_k", "'top_k' must be 0 (off) or more, not \(topK)") }
        let minP = fields.minP ?? 0
        guard (0...1).contains(minP) else { throw .badField("min_p", "'min_p' must be between 0 and 1, not \(minP)") }
        choices = fields.n ?? 1
        guard (1...limits.maxChoices).contains(choices) else {
            throw .badField("n", "'n' must be between 1 and \(limits.maxChoices), not \(choices)")
        }
        let stop = fields.stop?.values ?? []
        guard stop.count <= 16, !stop.contains("") else { throw .badField("stop", "'stop' takes up to 16 non-empty strings") }
        let constraint = try Self.constraint(fields)
        // Without a seed each request draws one; choice c of a seeded request uses seed + c.
        let seed = fields.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var requests: [BatchRequest] = []
        for prompt in prompts {
            for choice in 0..<choices {
                // Unasked, as many as the context leaves (within the limit); the engine stops at the context's end anyway.
                let settings = SamplingSettings(temperature: Float(temperature), topK: topK, topP: Float(topP), minP: Float(minP),
                                                seed: seed &+ UInt64(choice),
                                                maxTokens: maxTokens ?? min(limits.maxTokens, max(1, contextLength - prompt.count)),
                                                stop: stop)
                var request = BatchRequest(promptIDs: prompt, settings: settings, constraint: constraint)
                request.ignoresEndOfSequence = fields.ignoreEos ?? false
                requests.append(request)
            }
        }
        self.requests = requests
        stream = fields.stream ?? false
        includeUsage = fields.streamOptions?.includeUsage ?? false
    }

    /// The one structured-output field given, compiled: `response_format`, `grammar` (GBNF) or `regex`.
    static func constraint(_ fields: GenerationFields) throws(APIError) -> Grammar? {
        var given: [String] = []
        if let format = fields.responseFormat, format.type != "text" { given.append("response_format") }
        if fields.grammar != nil { given.append("grammar") }
        if fields.regex != nil { given.append("regex") }
        guard given.count <= 1 else {
            throw .badField(given[1], "give one of response_format, grammar and regex, not \(given.joined(separator: " and "))")
        }
        do {
            if let grammar = fields.grammar { return try GrammarParser.parse(grammar, source: "grammar") }
            if let regex = fields.regex { return try RegexCompiler.compile(regex, source: "regex") }
            guard let format = fields.responseFormat else { return nil }
            switch format.type {
            case "text": return nil
            case "json_object": return JSONSchemaCompiler.anyObject
            case "json_schema":
                guard let schema = format.jsonSchema?.schema else {
                    throw APIError.badField("response_format.json_schema.schema", "'response_format.json_schema.schema' is required")
                }
                return try JSONSchemaCompiler.compile(Data(schema.text.utf8), source: "response_format.json_schema")
            default:
                throw APIError.badField("response_format.type", "'response_format.type' must be text, json_object or json_schema, not '\(format.type)'")
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw .badField(given.first ?? "response_format", error.localizedDescription)
        }
    }
}

extension FinishReason {
    /// The OpenAI name: "stop" for an end of text or a stop string, "length" for a limit.
    var apiName: String {
        switch self {
        case .endOfSequence, .stopString: "stop"
        case .maxTokens, .contextFull: "length"
        case .cancelled: "cancelled"
        }
    }
}
