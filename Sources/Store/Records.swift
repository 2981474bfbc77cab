// Typed rows of a run database. Each record is a Codable struct with its columns; one table per record.
import Foundation
import GRDB

/// One input item: a function from a file or a record, keyed by a hash of where it came from and its text.
public struct SampleRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sample"
    public var id: String
    /// Position in the input order, for stable output.
    public var ordinal: Int
    public var source: String
    public var line: Int
    /// The function to call; empty when the item was rejected before one was known.
    public var entryPoint: String
    public var code: String
    /// An instruction that came with the input, if any.
    public var givenInstruction: String?
    /// The dotted name of the module the function lives in, and the directory to import it from, for code
    /// collected from files: the original is also run as it really runs, inside its module.
    public var moduleName: String?
    public var moduleRoot: String?
    /// Provenance: the repository (a git remote or the input's name), its commit when known, the file's licence as an
    /// SPDX identifier and where that was read (`SPDX header`, `repo/LICENSE`).
    public var repository: String?
    public var revision: String?
    public var license: String?
    public var licenseSource: String?

    public init(id: String, ordinal: Int, source: String, line: Int, entryPoint: String, code: String, givenInstruction: String? = nil,
                moduleName: String? = nil, moduleRoot: String? = nil, repository: String? = nil, revision: String? = nil,
                license: String? = nil, licenseSource: String? = nil) {
        self.id = id; self.ordinal = ordinal; self.source = source; self.line = line
        self.entryPoint = entryPoint; self.code = code; self.givenInstruction = givenInstruction
        self.moduleName = moduleName; self.moduleRoot = moduleRoot
        self.repository = repository; self.revision = revision; self.license = license; self.licenseSource = licenseSource
    }
}

/// What one stage decided about one sample. A rejection is data: reason code, detail and evidence.
public struct OutcomeRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "outcome"
    public var sampleId: String
    public var stage: String
    public var kept: Bool
    public var reason: String?
    public var detail: String?
    /// JSON or raw text backing the decision (model output, stderr, the mismatching case).
    public var evidence: String?
    public var seconds: Double

    public init(sampleId: String, stage: String, kept: Bool, reason: String? = nil, detail: String? = nil, evidence: String? = nil, seconds: Double = 0) {
        self.sampleId = sampleId; self.stage = stage; self.kept = kept; self.reason = reason
        self.detail = detail; self.evidence = evidence; self.seconds = seconds
    }
}

/// Every model call, with its raw output, so that a rejection can be explained later.
public struct ModelCallRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "modelCall"
    public var sampleId: String
    public var stage: String
    public var attempt: Int
    public var prompt: String
    public var output: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var seconds: Double

    public init(sampleId: String, stage: String, attempt: Int, prompt: String, output: String, promptTokens: Int, completionTokens: Int, seconds: Double) {
        self.sampleId = sampleId; self.stage = stage; self.attempt = attempt; self.prompt = prompt; self.output = output
        self.promptTokens = promptTokens; self.completionTokens = completionTokens; self.seconds = seconds
    }
}

/// The model's clean version of a sample and the instruction it wrote.
public struct RewriteRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "rewrite"
    public var sampleId: String
    /// The instruction as exported: what the model wrote (or was given), then the examples.
    public var instruction: String
    public var code: String
    /// Where the instruction came from: `docstring` (the model turned the original's docstring into it),
    /// `model` (written from the code and its runs) or `given` (the input's own instruction).
    public var instructionSource: String?
    /// JSON: the executed cases the prompt showed the model, as it read them.
    public var evidence: String?
    /// JSON: the verified cases written into the instruction as examples (`{cases: [index], text}`).
    public var examples: String?
    /// JSON: each check of what the instruction claims (`{check, passed, detail}`).
    public var claims: String?
    /// `model` (the model's rewrite) or `original` (no rewrite reproduced the original, and the recipe's fallback made
    /// the original itself, formatted, the response).
    public var codeSource: String?

    public init(sampleId: String, instruction: String, code: String, instructionSource: String? = nil, evidence: String? = nil,
                examples: String? = nil, claims: String? = nil, codeSource: String? = nil) {
        self.sampleId = sampleId; self.instruction = instruction; self.code = code
        self.instructionSource = instructionSource; self.evidence = evidence; self.examples = examples; self.claims = claims
        self.codeSource = codeSource
    }
}

/// One test input (a Python literal of positional and keyword arguments) and, once known, its expected result.
public struct TestCaseRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "testCase"
    public var sampleId: String
    public var index: Int
    /// The call's arguments as people read them, e.g. `[3, 1, 2], k=2`.
    public var arguments: String
    /// The same as the sandbox takes them: `{'args': ([3, 1, 2], ), 'kwargs': {'k': 2}}`.
    public var literal: String
    /// Set by `run original`: `ok` or `raised`; nil until then or when the case was dropped.
    public var expectedStatus: String?
    /// The canonical return value (`ok`) or the exception type (`raised`).
    public var expectedValue: String?
    /// Set by `verify`.
    public var passed: Bool?
    public var actualStatus: String?
    public var actualValue: String?
    /// Why a case was dropped (nondeterministic, timeout, ...), nil for cases in use.
    public var dropped: String?
    /// `model` (the generator wrote it) or `derived` (made from a working input without the model).
    public var origin: String = "model"
    /// For derived inputs: which argument changed and how.
    public var derivation: String?
    /// The canonical state of the arguments after the original's call, and what it printed.
    public var expectedState: String?
    /// Whether the original changed its arguments on this input.
    public var mutates: Bool?
    public var expectedOutput: String?
    /// The exception's message, for `raised` (compared loosely: a changed message is noted, not failed).
    public var expectedMessage: String?
    public var actualState: String?
    /// The original's lines and decision outcomes on this input, as JSON (`{"lines": [...], "branches": [...]}`).
    public var coverage: String?
    /// CPU seconds of the original's call.
    public var cpuSeconds: Double?

    public init(sampleId: String, index: Int, arguments: String, literal: String, origin: String = "model", derivation: String? = nil) {
        self.sampleId = sampleId; self.index = index; self.arguments = arguments; self.literal = literal
        self.origin = origin; self.derivation = derivation
    }

    /// A case that takes part in verification: not dropped and with a known expected behaviour.
    public var isActive: Bool { dropped == nil && expectedStatus != nil }

    /// A test of calls on one object whose value alone does not say what happened: a method's sequence (the sandbox
    /// literal's 'before' holds the earlier calls) or a whole class's test (its 'calls').
    public var isSequence: Bool { literal.contains("'before': [") || literal.contains("'calls': [") }
}

/// Ranking signals of a verified sample.
public struct RankRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "rank"
    public var sampleId: String
    public var testsPassed: Int
    public var testsTotal: Int
    public var codeLines: Int
    public var branches: Int
    /// Higher is harder: used for curriculum order.
    public var difficulty: Double
    /// How well the tests pin the original down: its lines and decisions they reach, its distinct outputs.
    public var lineCoverage: Double?
    public var branchCoverage: Double?
    /// Share of the original's mutants the tests tell apart.
    public var mutationScore: Double?
    public var distinctOutputs: Int = 0
    public var derivedTests: Int = 0

    public init(sampleId: String, testsPassed: Int, testsTotal: Int, codeLines: Int, branches: Int, difficulty: Double,
                lineCoverage: Double? = nil, branchCoverage: Double? = nil, mutationScore: Double? = nil, distinctOutputs: Int = 0,
                derivedTests: Int = 0) {
        self.sampleId = sampleId; self.testsPassed = testsPassed; self.testsTotal = testsTotal
        self.codeLines = codeLines; self.branches = branches; self.difficulty = difficulty
        self.lineCoverage = lineCoverage; self.branchCoverage = branchCoverage; self.mutationScore = mutationScore
        self.distinctOutputs = distinctOutputs; self.derivedTests = derivedTests
    }
}

/// One call of the entry point in the sandbox: which code ran and how, and what happened.
public struct ExecutionRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "execution"
    public var sampleId: String
    /// `original` (the extracted code), `original-env-2` (the same in the other environment), `original-module`
    /// (the function inside its module), `probe`, `candidate` (a derived input tried), or `rewrite`.
    public var run: String
    public var caseIndex: Int
    public var status: String
    public var value: String?
    public var error: String?
    public var stderr: String
    /// The arguments' canonical state after the call.
    public var state: String?
    public var stdout: String = ""
    public var cpuSeconds: Double = 0

    public init(sampleId: String, run: String, caseIndex: Int, status: String, value: String?, error: String?, stderr: String,
                state: String? = nil, stdout: String = "", cpuSeconds: Double = 0) {
        self.sampleId = sampleId; self.run = run; self.caseIndex = caseIndex; self.status = status
        self.value = value; self.error = error; self.stderr = stderr
        self.state = state; self.stdout = stdout; self.cpuSeconds = cpuSeconds
    }
}

/// A sentence embedding of a sample (instruction + code), kept so a resumed run never embeds twice.
public struct EmbeddingRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "embedding"
    public var sampleId: String
    public var model: String
    /// Little-endian float32 values.
    public var vector: Data

    public init(sampleId: String, model: String, values: [Float]) {
        self.sampleId = sampleId
        self.model = model
        self.vector = values.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    public var values: [Float] {
        vector.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// The SemDeDup decision for one sample.
public struct DedupRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "dedup"
    public var sampleId: String
    public var cluster: Int
    public var duplicateOf: String?
    public var similarity: Double?

    public init(sampleId: String, cluster: Int, duplicateOf: String?, similarity: Double?) {
        self.sampleId = sampleId; self.cluster = cluster; self.duplicateOf = duplicateOf; self.similarity = similarity
    }
}

/// A dataset file written by export.
public struct ExportRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "export"
    public var format: String
    public var path: String
    public var count: Int
    public var createdAt: Date

    public init(format: String, path: String, count: Int, createdAt: Date = Date()) {
        self.format = format; self.path = path; self.count = count; self.createdAt = createdAt
    }
}

// The columns queries filter and order by, named by the records' own coding keys (a renamed field cannot leave a
// query behind).
extension SampleRecord {
    public enum Columns {
        public static let ordinal = Column(CodingKeys.ordinal)
    }
}

extension OutcomeRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
        public static let stage = Column(CodingKeys.stage)
    }
}

extension ModelCallRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
        /// The table's own key (an alias of the row id), in the order calls were stored; not a field.
        public static let id = Column.rowID
    }
}

extension RewriteRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
    }
}

extension TestCaseRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
        public static let `index` = Column(CodingKeys.`index`)
    }
}

extension RankRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
    }
}

extension ExecutionRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
        public static let run = Column(CodingKeys.run)
        public static let caseIndex = Column(CodingKeys.caseIndex)
    }
}

extension EmbeddingRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
        public static let model = Column(CodingKeys.model)
    }
}

extension DedupRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
    }
}
