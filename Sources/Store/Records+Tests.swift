// Records about a sample's test set: the parameter kinds probed on the original, and how adequate the set is.
import Foundation
import GRDB

/// What the test-inputs stage learned about the entry point before asking the model: each parameter with its
/// kinds (inferred, then confirmed by calling the original), the probe calls and their outcomes, and the
/// lines and decisions that line tracing can cover. JSON columns, read by the stages that follow.
public struct ProbeRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "probe"
    public var sampleId: String
    public var parameters: String
    public var coverageMap: String?
    public var calls: String
    /// Short strings and small numbers of the entry point, which derived inputs are built from.
    public var constants: String

    public init(sampleId: String, parameters: String, coverageMap: String?, calls: String, constants: String = "[]") {
        self.sampleId = sampleId; self.parameters = parameters; self.coverageMap = coverageMap; self.calls = calls
        self.constants = constants
    }
}

/// How well a sample's test set pins down its original, measured on the original after augmentation.
public struct AdequacyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "adequacy"
    public var sampleId: String
    public var modelCases: Int
    public var derivedCases: Int
    /// Cases that return normally, and cases whose expected behaviour is an exception raised inside the function.
    public var normalCases: Int
    public var raisedCases: Int
    /// Different behaviours (return value and argument state) among the normal cases.
    public var distinctOutputs: Int
    public var linesCovered: Int
    public var linesTotal: Int
    /// Decision outcomes (each if/for/while taken and not taken) reached, of twice the decisions.
    public var branchesCovered: Int
    public var branchesTotal: Int
    /// Which original gave the expected behaviour: `module` (checked inside its module) or `snippet` with why.
    public var original: String
    /// Mutants of the original (one small change each) and how many of them some test tells apart.
    public var mutants: Int = 0
    public var mutantsKilled: Int = 0
    /// JSON: each mutant's change and the first input that tells it apart (null for a survivor).
    public var mutantReport: String?

    public init(sampleId: String, modelCases: Int, derivedCases: Int, normalCases: Int, raisedCases: Int, distinctOutputs: Int,
                linesCovered: Int, linesTotal: Int, branchesCovered: Int, branchesTotal: Int, original: String,
                mutants: Int = 0, mutantsKilled: Int = 0, mutantReport: String? = nil) {
        self.sampleId = sampleId; self.modelCases = modelCases; self.derivedCases = derivedCases
        self.normalCases = normalCases; self.raisedCases = raisedCases; self.distinctOutputs = distinctOutputs
        self.linesCovered = linesCovered; self.linesTotal = linesTotal
        self.branchesCovered = branchesCovered; self.branchesTotal = branchesTotal; self.original = original
        self.mutants = mutants; self.mutantsKilled = mutantsKilled; self.mutantReport = mutantReport
    }

    public var mutationScore: Double? { mutants > 0 ? Double(mutantsKilled) / Double(mutants) : nil }

    public var lineCoverage: Double? { linesTotal > 0 ? Double(linesCovered) / Double(linesTotal) : nil }
    public var branchCoverage: Double? { branchesTotal > 0 ? Double(branchesCovered) / Double(branchesTotal) : nil }
    public var exceptionShare: Double { normalCases + raisedCases > 0 ? Double(raisedCases) / Double(normalCases + raisedCases) : 0 }
}

/// How faithful an instruction is: the model, shown only the instruction and the signature, wrote `code`; the
/// share of the held-back cases (those not shown as examples) it gets right is the score.
public struct FaithfulnessRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "faithfulness"
    public var sampleId: String
    /// The back-translated code; empty when the model gave none.
    public var code: String
    public var passed: Int
    public var total: Int
    public var score: Double
    /// The first difference, or why there is no code.
    public var detail: String?
    /// JSON, when several instructions were tried: each with its score and claim checks; the best one is kept.
    public var candidates: String?

    public init(sampleId: String, code: String, passed: Int, total: Int, detail: String?) {
        self.sampleId = sampleId; self.code = code; self.passed = passed; self.total = total
        self.score = total > 0 ? Double(passed) / Double(total) : 0
        self.detail = detail
    }
}

// The columns queries filter and order by, named by the records' own coding keys (a renamed field cannot leave a
// query behind).
extension ProbeRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
    }
}

extension AdequacyRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
    }
}

extension FaithfulnessRecord {
    public enum Columns {
        public static let sampleId = Column(CodingKeys.sampleId)
    }
}
