// What the pipeline needs from the engine and the sandbox, as small protocols it owns.
// Adapters in the CLI layer connect the real embedded engine and sandbox; tests use scripted ones.
import Constraints

public struct ChatMessage: Sendable, Codable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) { self.role = role; self.content = content }
}

public struct GenerationRequest: Sendable, Equatable {
    public var messages: [ChatMessage]
    public var maxTokens: Int
    /// 0 means greedy.
    public var temperature: Double
    public var topP: Double
    public var topK: Int
    /// Derived from the run seed, the sample and the attempt, so a resumed run asks for the same text.
    public var seed: UInt64
    public var stop: [String]
    /// Only text this grammar accepts, for generators that support constraints (others ignore it).
    public var constraint: Grammar? = nil
}

public struct GenerationOutput: Sendable, Equatable {
    public var text: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var seconds: Double
    /// Why this request produced nothing (too long for the model, a constraint dead end); the sample is
    /// rejected with `generation-failed` and the rest of the batch goes on.
    public var failure: String?
    public init(text: String, promptTokens: Int, completionTokens: Int, seconds: Double, failure: String? = nil) {
        self.text = text; self.promptTokens = promptTokens; self.completionTokens = completionTokens; self.seconds = seconds
        self.failure = failure
    }

    public static func failed(_ message: String) -> GenerationOutput {
        GenerationOutput(text: "", promptTokens: 0, completionTokens: 0, seconds: 0, failure: message)
    }
}

public protocol ChatGenerator: Sendable {
    var modelName: String { get }
    /// Whether the generator honours `GenerationRequest.constraint` (the embedded engine does).
    var supportsConstraints: Bool { get }
    /// One output per request, in order; the generator may run them as one batch. A request that fails
    /// alone comes back as an output with `failure` set; throw only when the whole batch cannot run.
    func generate(_ requests: [GenerationRequest]) async throws -> [GenerationOutput]
}

extension ChatGenerator {
    public var supportsConstraints: Bool { false }
}

/// The result of calling the entry point on one input.
public struct CaseResult: Sendable, Codable, Equatable {
    /// ok, raised, timeout, memory, output-limit, killed, crashed.
    public var status: String
    /// Canonical serialized return value when `ok`.
    public var value: String?
    /// Exception type and message when `raised`, else what went wrong.
    public var error: String?
    public var stderr: String
    public init(status: String, value: String? = nil, error: String? = nil, stderr: String = "") {
        self.status = status; self.value = value; self.error = error; self.stderr = stderr
    }

    /// The exception's type name, from "TypeName: message".
    public var exceptionType: String? {
        guard status == "raised", let error else { return nil }
        return String(error.prefix { $0 != ":" })
    }
}

public protocol CodeRunner: Sendable {
    /// Calls `entry` once per call literal (`{'args': (1, ), 'kwargs': {}}`). `variant` changes the hash seed.
    func run(code: String, entry: String, literals: [String], variant: Int) async throws -> [CaseResult]
    /// Whether two results count as the same behaviour (canonical values within the float tolerance).
    func sameBehaviour(_ expected: CaseResult, _ actual: CaseResult) -> Bool
}

/// Sentence embeddings for SemDeDup.
public protocol TextEmbedding: Sendable {
    var modelName: String { get }
    func embed(_ texts: [String]) throws -> [[Float]]
}
