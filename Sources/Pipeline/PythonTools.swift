// Static analysis through Debian's Python and its `ast` module: extraction, checks, test-input parsing.
import Foundation
import Sandbox

/// `kind`: function, nested (a function defined in another that needs nothing of it), static, class or instance.
struct ExtractedFunction: Decodable { var name: String; var line: Int; var code: String; var kind: String? }
struct SkippedFunction: Decodable { var name: String; var line: Int; var reason: RejectionReason; var detail: String }
struct FileRefusal: Decodable { var reason: RejectionReason; var detail: String; var line: Int }
struct ExtractedFile: Decodable {
    var path: String
    var items: [ExtractedFunction]?
    var skipped: [SkippedFunction]?
    var error: FileRefusal?
}

struct Signature: Decodable, Equatable {
    var positional: [String]
    var vararg: String?
    var kwonly: [String]
    var kwarg: String?
    var defaults: Int
}

struct CodeAnalysis: Decodable {
    struct SyntaxProblem: Decodable { var message: String; var line: Int }
    var parses: Bool
    var python2: String?
    var error: SyntaxProblem?
    var functions: [String]?
    var signature: Signature?
    var hash: String?
    var branches: Int?
    var longest_literal: Int?
    var generator: Bool?
    /// The entry point's docstring (cleaned as `inspect.getdoc` does), nil when it has none.
    var docstring: String?
    /// function, static, class, instance or whole-class; nil when the entry point is missing.
    var kind: String?
    /// Relative imports left in the code (`line 3: from . import x`): they cannot run outside their package.
    var relative_imports: [String]?
    /// The code without docstrings and comments, and the line counts of the entry point and of what comes with it.
    var code_text: String?
    /// The text data density is judged on: a method's own code, else `code_text`.
    var dense_text: String?
    var entry_lines: Int?
    var context_lines: Int?
    /// For an instance method: how its object is built (none, parameters, unknown) and the constructor's signature.
    var constructor: String?
    var constructor_signature: Signature?
    /// For a whole class: each public method's signature (a rewrite keeps them all).
    var methods: [String: Signature]?

    /// Whether a test has anything to vary: the entry point's parameters, or an instance method's constructor's.
    var takesArguments: Bool {
        func any(_ s: Signature?) -> Bool { s.map { !$0.positional.isEmpty || $0.vararg != nil || !$0.kwonly.isEmpty || $0.kwarg != nil } ?? false }
        return any(signature) || any(constructor_signature) || constructor == "unknown" || (methods ?? [:]).values.contains { any($0) }
    }
}

/// One parameter of an entry point: how it is passed, and the kinds of value it takes with the evidence.
public struct ParameterInfo: Codable, Sendable, Equatable {
    public var name: String
    /// positional-only, positional, var-positional, keyword-only, var-keyword.
    public var kind: String
    /// The default's source text.
    public var `default`: String?
    public var annotation: String?
    /// Kinds ranked by static evidence (int, float, bool, str, bytes, list, tuple, dict, set, none).
    public var kinds: [String]
    /// Item kind of a list or set.
    public var element: String?
    public var evidence: [String]
    /// Kinds the original accepted when probed (set by the test-inputs stage; nil before probing).
    public var accepted: [String]?
    /// "init" for an instance method's constructor parameter, "method" for a parameter of a whole class's method
    /// (named by `method`); nil for the entry point's own.
    public var role: String?
    public var method: String?

    /// The name probe calls label this parameter with: constructor parameters apart from the method's own.
    var probeLabel: String {
        switch role {
        case "init": return "init:" + name
        case "method": return (method ?? "") + "." + name
        default: return name
        }
    }

    /// A constructor's own `*args` or `**kwargs`, which probes never fill but the model may (not the stand-in for a
    /// constructor defined elsewhere, which nobody here can read).
    var takesAnyArguments: Bool {
        role == "init" && (kind == "var-positional" || kind == "var-keyword") && !evidence.contains { $0.contains("defined elsewhere") }
    }

    /// Whether the constructor among `parameters` takes only its own `*args`/`**kwargs`: probes then vary nothing, so
    /// their failing says nothing about what the model could build. (With named parameters too, every kind of them
    /// was tried; measured on the standard library, such objects never got built by the model either.)
    static func constructorOnlyVariadic(_ parameters: [ParameterInfo]) -> Bool {
        let constructor = parameters.filter { $0.role == "init" }
        return !constructor.isEmpty && constructor.allSatisfy(\.takesAnyArguments)
    }
}

/// A call that tries parameters with values of given kinds.
struct ProbeCall: Codable, Sendable, Equatable {
    var display: String
    var literal: String
    /// (parameter, kind) pairs this call tries.
    var labels: [[String]]
}

/// The lines and decisions of an entry point that line tracing can see.
public struct CoverageMap: Codable, Sendable, Equatable {
    public struct Branch: Codable, Sendable, Equatable {
        /// The decision's first line and the last line of its condition (or iterable).
        public var line: Int
        public var end: Int
        /// The first line of the body: reaching it from the header is "taken".
        public var body: Int
        /// The first line of the function the decision is in: leaving that function is an exit, other frames
        /// (a comprehension or lambda in the header) are not.
        public var owner: Int
        public var kind: String
    }
    public var lines: [Int]
    public var branches: [Branch]
}

struct ParameterAnalysis: Codable, Sendable {
    var parameters: [ParameterInfo]
    var probes: [ProbeCall]
    var coverage: CoverageMap?
    /// Short strings and small numbers in the entry point, for derived inputs.
    var constants: [LiteralConstant]
    /// Why the analysis could not read this code (the sample is rejected, the rest of the batch goes on).
    var failed: String?
    /// function, static, class, instance or whole-class.
    var kind: String?
    /// A whole class's public methods, in the class's order.
    var methods: [String]?
}

/// A constant of the code: a string or a number.
enum LiteralConstant: Codable, Sendable, Equatable {
    case text(String)
    case number(Double, integer: Bool)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else if let integer = try? container.decode(Int.self) {
            self = .number(Double(integer), integer: true)
        } else {
            self = .number(try container.decode(Double.self), integer: false)
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case let .text(text): try container.encode(text)
        case let .number(value, true): try container.encode(Int(value))
        case let .number(value, false): try container.encode(value)
        }
    }
}

/// The original's code with one small change in its entry point.
struct Mutant: Codable, Sendable, Equatable {
    var code: String
    /// `line 5: Lt becomes LtE`
    var description: String
}

/// An input made from a working one by changing one argument.
struct DerivedInput: Codable, Sendable, Equatable {
    var display: String
    var literal: String
    /// `n: 1 -> 0`
    var how: String
}

enum PythonTools {
    static let python = URL(fileURLWithPath: IsolationProbe.pythonPath)

    static func call<Answer: Decodable>(_ operation: String, _ request: [String: Any], as: Answer.Type) throws -> Answer {
        var body = request
        body["op"] = operation
        let input = try JSONSerialization.data(withJSONObject: body)
        let result = try ExternalTool.run(python, ["-I", "-c", PythonToolsScript.source], input: input)
        guard result.status == 0 else {
            throw PipelineError.pythonTool(operation: operation, detail: "exit \(result.status): \(result.error.suffix(2000))")
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(result.output.utf8))
        } catch {
            throw PipelineError.pythonTool(operation: operation, detail: "unreadable answer: \(error)")
        }
    }

    /// `module`: the file's dotted module name when known, to make its relative imports absolute.
    /// `wholeClassMaxLines`: small classes (up to that many formatted lines) become samples of their own; nil: none.
    static func extract(files: [(path: String, text: String, module: String?)], wholeClassMaxLines: Int? = nil) throws -> [ExtractedFile] {
        struct Answer: Decodable { var files: [ExtractedFile] }
        let request = files.map { file -> [String: Any] in
            var item: [String: Any] = ["path": file.path, "text": file.text]
            if let module = file.module { item["module"] = module }
            return item
        }
        var body: [String: Any] = ["files": request]
        if let wholeClassMaxLines { body["whole_class_lines"] = wholeClassMaxLines }
        return try call("extract", body, as: Answer.self).files
    }

    static func analyze(_ items: [(code: String, entry: String)]) throws -> [CodeAnalysis] {
        struct Answer: Decodable { var items: [CodeAnalysis] }
        return try call("analyze", ["items": items.map { ["code": $0.code, "entry": $0.entry] }], as: Answer.self).items
    }

    /// Each rewrite with the module-level statements of its original that it uses but dropped; a method's rewrite is
    /// put back into the original's class.
    static func reattach(_ items: [(original: String, rewrite: String, entry: String)]) throws -> [String] {
        struct Answer: Decodable { var items: [String] }
        return try call("reattach", ["items": items.map { ["original": $0.original, "rewrite": $0.rewrite, "entry": $0.entry] }],
                        as: Answer.self).items
    }

    /// What a model is shown of each sample: a method's class with its other methods cut to their signatures
    /// (`withoutEntry`: the method itself left out too, the class it is written into). Functions are unchanged.
    static func views(_ items: [(code: String, entry: String)], withoutEntry: Bool = false) throws -> [String] {
        struct Answer: Decodable { var items: [String] }
        return try call("view", ["items": items.map { ["code": $0.code, "entry": $0.entry, "without_entry": withoutEntry] }],
                        as: Answer.self).items
    }

    /// Each entry point's own source (a method without its class, dedented), or nil when it is missing.
    static func entrySources(_ items: [(code: String, entry: String)]) throws -> [String?] {
        struct Answer: Decodable { var items: [String?] }
        return try call("entry_source", ["items": items.map { ["code": $0.code, "entry": $0.entry] }], as: Answer.self).items
    }

    /// The entry point's parameters with inferred kinds, probe calls and its coverage map; nil when it is missing.
    static func parameters(_ items: [(code: String, entry: String)]) throws -> [ParameterAnalysis?] {
        struct Answer: Decodable { var items: [ParameterAnalysis?] }
        return try call("parameters", ["items": items.map { ["code": $0.code, "entry": $0.entry] }], as: Answer.self).items
    }

    /// For each call: nil when it binds to the entry point's signature and copies no prompt example, else why not.
    static func checkCalls(code: String, entry: String, literals: [String], examples: [String]) throws -> [(reason: String, detail: String)?] {
        struct Answer: Decodable { var items: [[[String]?]] }
        let answer = try call("check_calls", ["items": [["code": code, "entry": entry, "literals": literals, "examples": examples]]],
                              as: Answer.self)
        return (answer.items.first ?? []).map { $0.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil } }
    }

    /// Up to `limit` mutants of the entry point, spread over its lines.
    static func mutants(code: String, entry: String, limit: Int) throws -> [Mutant] {
        struct Answer: Decodable { var items: [[Mutant]] }
        return try call("mutants", ["items": [["code": code, "entry": entry, "limit": limit]]], as: Answer.self).items.first ?? []
    }

    /// Inputs made from working ones, one argument changed at a time, at most `limit`.
    static func derive(seeds: [String], parameters: [ParameterInfo], constants: [LiteralConstant], limit: Int,
                       entry: String) throws -> [DerivedInput] {
        struct Answer: Decodable { var items: [[DerivedInput]] }
        let parameterObjects = try JSONSerialization.jsonObject(with: JSONEncoder().encode(parameters))
        let constantObjects = try JSONSerialization.jsonObject(with: JSONEncoder().encode(constants), options: .fragmentsAllowed)
        return try call("derive", ["items": [["seeds": seeds, "parameters": parameterObjects, "constants": constantObjects, "limit": limit,
                                               "entry": entry]]],
                        as: Answer.self).items.first ?? []
    }

    /// Tests of two calls on one object: each of `changing` (calls that changed their object) followed by each of
    /// `seeds` made on an equal object, up to `limit`.
    static func sequences(changing: [String], seeds: [String], entry: String, limit: Int) throws -> [DerivedInput] {
        struct Answer: Decodable { var items: [[DerivedInput]] }
        return try call("sequences", ["items": [["changing": changing, "seeds": seeds, "entry": entry, "limit": limit]]],
                        as: Answer.self).items.first ?? []
    }

    /// What an instruction claims about `entry`: see InstructionClaims.
    /// `code` and `literals` (calls that returned normally) give the kinds of value each parameter is passed.
    static func claims(_ text: String, entry: String, code: String, literals: [String]) throws -> InstructionClaimsFound {
        struct Answer: Decodable { var items: [InstructionClaimsFound] }
        let item: [String: Any] = ["text": text, "entry": entry, "code": code, "literals": literals]
        guard let found = try call("claims", ["items": [item]], as: Answer.self).items.first else {
            throw PipelineError.pythonTool(operation: "claims", detail: "no answer")
        }
        return found
    }

    /// For each item, each candidate line parsed into call arguments, or nil when unusable.
    static func arguments(_ items: [(entry: String, lines: [String])]) throws -> [[CallArguments?]] {
        struct Answer: Decodable { var items: [[[String]?]] }
        return try call("arguments", ["items": items.map { ["entry": $0.entry, "lines": $0.lines] }], as: Answer.self).items
            .map { $0.map { $0.map { CallArguments(display: $0[0], literal: $0[1]) } } }
    }
}
