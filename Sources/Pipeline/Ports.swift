// What the pipeline needs from a chat model and a code runner, as small protocols it owns (embeddings come through
// Engine's `Embedder`). The adapters to the embedded engine and the sandbox (EngineChatGenerator, SandboxCodeRunner)
// are composed in the CLI layer, in BuildServices.real; tests also use scripted ones.
import Constraints
import Tokenizers

public struct ChatRequest: Sendable, Equatable {
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

    public init(messages: [ChatMessage], maxTokens: Int, temperature: Double, topP: Double, topK: Int, seed: UInt64,
                stop: [String] = [], constraint: Grammar? = nil) {
        self.messages = messages; self.maxTokens = maxTokens; self.temperature = temperature; self.topP = topP
        self.topK = topK; self.seed = seed; self.stop = stop; self.constraint = constraint
    }
}

public struct ChatReply: Sendable, Equatable {
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

    public static func failed(_ message: String) -> ChatReply {
        ChatReply(text: "", promptTokens: 0, completionTokens: 0, seconds: 0, failure: message)
    }
}

public protocol ChatGenerator: Sendable {
    var modelName: String { get }
    /// Whether the generator honours `ChatRequest.constraint` (the embedded engine does).
    var supportsConstraints: Bool { get }
    /// How constraints reach the model, or why they do not (for the run's record); nil says nothing more.
    var constraintRoute: String? { get }
    /// One output per request, in order; the generator may run them as one batch. A request that fails
    /// alone comes back as an output with `failure` set; throw only when the whole batch cannot run.
    func generate(_ requests: [ChatRequest]) async throws -> [ChatReply]
    /// `count` answers to each request, answer c sampled with the request's seed + c: `count` replies per request, in
    /// order. A server that takes OpenAI's `n` gets one request for all of them; by default each is a request of its own.
    func generate(_ requests: [ChatRequest], answers count: Int) async throws -> [[ChatReply]]
}

extension ChatGenerator {
    public var supportsConstraints: Bool { false }
    public var constraintRoute: String? { nil }

    public func generate(_ requests: [ChatRequest], answers count: Int) async throws -> [[ChatReply]] {
        try await generateEach(requests, answers: count)
    }

    /// `count` answers to each request, each asked as a request of its own (seed + c) in one batch.
    public func generateEach(_ requests: [ChatRequest], answers count: Int) async throws -> [[ChatReply]] {
        let many = max(1, count)
        let replies = try await generate(requests.flatMap { $0.answers(many) })
        guard replies.count == requests.count * many else {
            throw PipelineError.model("generator answered \(replies.count) of \(requests.count * many) requests")
        }
        return requests.indices.map { Array(replies[$0 * many..<($0 + 1) * many]) }
    }
}

extension ChatRequest {
    /// The request for each of `count` answers: the same but for the seed, which goes up by one per answer (as OpenAI's
    /// `n` does in `serve`), so one request with `n` and `n` requests give the same text.
    public func answers(_ count: Int) -> [ChatRequest] {
        (0..<max(1, count)).map { choice in
            var single = self
            single.seed = seed &+ UInt64(choice)
            return single
        }
    }
}

/// The result of calling the entry point on one input.
public struct CaseResult: Sendable, Codable, Equatable {
    /// ok, raised (inside the function), bad-call (the call itself could not bind), timeout, memory,
    /// output-limit, killed, crashed.
    public var status: String
    /// Canonical serialized return value when `ok`.
    public var value: String?
    /// Exception type and message when `raised`, else what went wrong.
    public var error: String?
    public var stderr: String
    public var stdout: String = ""
    /// Canonical state of the arguments after the call (what in-place functions change), and whether it changed.
    public var argumentsAfter: String?
    public var argumentsChanged: Bool?
    public var cpuSeconds: Double = 0
    /// Lines run and line-to-line arcs (negative numbers enter and leave a function), when traced.
    public var lines: [Int]?
    public var arcs: [[Int]]?

    public init(status: String, value: String? = nil, error: String? = nil, stderr: String = "", stdout: String = "",
                argumentsAfter: String? = nil, argumentsChanged: Bool? = nil, cpuSeconds: Double = 0, lines: [Int]? = nil,
                arcs: [[Int]]? = nil) {
        self.status = status; self.value = value; self.error = error; self.stderr = stderr; self.stdout = stdout
        self.argumentsAfter = argumentsAfter; self.argumentsChanged = argumentsChanged; self.cpuSeconds = cpuSeconds; self.lines = lines; self.arcs = arcs
    }

    /// The exception's type name, from "TypeName: message".
    public var exceptionType: String? {
        guard status == "raised", let error else { return nil }
        return String(error.prefix { $0 != ":" })
    }

    /// The exception's message, from "TypeName: message".
    public var exceptionMessage: String? {
        guard status == "raised", let error, let colon = error.firstIndex(of: ":") else { return nil }
        return String(error[error.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
    }
}

/// Where a function really lives: its module's dotted name and the directory it is imported from.
public struct ModuleLocation: Sendable, Codable, Equatable {
    public var name: String
    public var root: String?
    public init(name: String, root: String?) { self.name = name; self.root = root }
}

/// One batch of calls of one function.
public struct CodeRun: Sendable {
    public var code: String
    public var entry: String
    /// One call literal each (`{'args': (1, ), 'kwargs': {}}`).
    public var literals: [String]
    /// 0 or 1: two environments that differ in what code should not depend on (hash seed, working
    /// directory, time zone, host name, open descriptors).
    public var environment: Int = 0
    /// Call the function inside its module, imported by name, instead of the extracted code.
    public var module: ModuleLocation?
    /// Record the lines and arcs each call runs.
    public var trace = false
    /// Multiplies the recipe's CPU budget per call (a rewrite may be somewhat slower than its original).
    public var budgetScale: Double = 1

    public init(code: String, entry: String, literals: [String], environment: Int = 0, module: ModuleLocation? = nil,
                trace: Bool = false, budgetScale: Double = 1) {
        self.code = code; self.entry = entry; self.literals = literals; self.environment = environment
        self.module = module; self.trace = trace; self.budgetScale = budgetScale
    }
}

public protocol CodeRunner: Sendable {
    /// Calls the entry point once per literal, in order.
    func run(_ run: CodeRun) async throws -> [CaseResult]
    /// Several batches at once, results in order (a runner may run them on one sandbox).
    func run(_ runs: [CodeRun]) async throws -> [[CaseResult]]
    /// Whether two canonical values count as the same (within the recipe's float tolerance).
    func sameValue(_ left: String, _ right: String) -> Bool
    /// The CPU seconds one call may use (before `budgetScale`).
    var budgetSeconds: Double { get }
    /// Text in a value that can only come from the machine, not the code (the interpreter's version).
    var environmentFacts: [String] { get }
}

extension CodeRun {
    /// The budget scale for a traced run of calls that took up to `cpuSeconds` untraced: tracing costs about ten
    /// times the CPU of the call it watches, so twenty times that (at least half a second), never past the budget
    /// a call has untraced. A traced call is only ever a measurement: one that runs out gives no coverage.
    public static func tracedScale(forCallsOf cpuSeconds: Double, budget: Double) -> Double {
        // A few steps only: each distinct budget is a sandbox configuration of its own.
        let room = [0.5, 1, 2, 5, 10, 30, 60].first { $0 >= 20 * cpuSeconds } ?? 60
        return min(budget, room) / budget
    }
}

extension CodeRunner {
    /// Runs `run`, then once more each call the wall clock cut (not its CPU budget), so that a busy moment of the
    /// machine does not decide a result.
    public func runSettled(_ run: CodeRun) async throws -> [CaseResult] {
        var results = try await self.run(run)
        let cut = results.indices.filter { results[$0].status == "timeout" && (results[$0].error ?? "").hasPrefix("WallClock") }
        guard !cut.isEmpty else { return results }
        var again = run
        again.literals = cut.map { run.literals[$0] }
        for (index, result) in zip(cut, try await self.run(again)) { results[index] = result }
        return results
    }

    public func run(_ runs: [CodeRun]) async throws -> [[CaseResult]] {
        var results: [[CaseResult]] = []
        for run in runs { results.append(try await self.run(run)) }
        return results
    }
}
