// Every reason a sample can be rejected for, with the stages that give it and what it means. Stages reject with
// these values only; `inspect --reasons`, the HTML report and the README's table all read this one list.

public enum RejectionReason: String, CaseIterable, Sendable, Codable {
    // --- collect: files and records
    case unreadable
    case fileTooLarge = "file-too-large"
    case binaryFile = "binary-file"
    case empty
    case generated
    case notUTF8 = "not-utf8"
    case vendored
    case malformedJSON = "malformed-json"
    case missingField = "missing-field"
    case wrongType = "wrong-type"
    case licenseUnknown = "license-unknown"
    case licenseNotAllowed = "license-not-allowed"
    // --- collect: functions, methods and classes
    case noFunctions = "no-functions"
    case entryPointMissing = "entry-point-missing"
    case kindNotCollected = "kind-not-collected"
    case inWholeClass = "in-whole-class"
    case nested
    case asyncFunction = "async-function"
    case abstractClass = "abstract-class"
    case specialMethod = "special-method"
    case property
    case noSelf = "no-self"
    case python2Syntax = "python2-syntax"
    case doesNotParse = "does-not-parse"
    case analysisFailed = "analysis-failed"
    // --- decontamination
    case contaminated
    // --- prefilter
    case relativeImport = "relative-import"
    case tooShort = "too-short"
    case tooLong = "too-long"
    case tooMuchContext = "too-much-context"
    case dataDense = "data-dense"
    case undefinedNames = "undefined-names"
    case generator
    case noParameters = "no-parameters"
    case exactDuplicate = "exact-duplicate"
    // --- test inputs
    case tooFewInputs = "too-few-inputs"
    case missingDependency = "missing-dependency"
    case objectCannotBeBuilt = "object-cannot-be-built"
    case generationFailed = "generation-failed"
    // --- run-original and augment
    case extractionIncomplete = "extraction-incomplete"
    case nondeterministic
    case environmentFact = "environment-fact"
    case originalSlow = "original-slow"
    case originalDoesNotBind = "original-does-not-bind"
    case originalTimeout = "original-timeout"
    case originalMemory = "original-memory"
    case originalOutputLimit = "original-output-limit"
    case originalKilled = "original-killed"
    case originalCrashed = "original-crashed"
    case tooFewNormalReturns = "too-few-normal-returns"
    case degenerateTests = "degenerate-tests"
    case lowCoverage = "low-coverage"
    case weakTests = "weak-tests"
    // --- rewrite and verify
    case noCodeBlock = "no-code-block"
    case rewriteDoesNotParse = "rewrite-does-not-parse"
    case entryPointLost = "entry-point-lost"
    case signatureChanged = "signature-changed"
    case noInstruction = "no-instruction"
    case mismatch
    case noRewrite = "no-rewrite"
    case noTests = "no-tests"
    // --- instruct and faithfulness
    case instructionContradictsCode = "instruction-contradicts-code"
    case unfaithfulInstruction = "unfaithful-instruction"
    // --- semdedup
    case semanticDuplicate = "semantic-duplicate"

    /// The reason for a drop kind of the original's first runs (`timeout`, `memory`, `slow`, ...), when every input
    /// had it; an unknown kind counts as a crash, its detail kept.
    public static func original(_ drop: String) -> RejectionReason {
        switch drop {
        case "nondeterministic": .nondeterministic
        case "environment-fact": .environmentFact
        default: RejectionReason(rawValue: "original-" + drop) ?? .originalCrashed
        }
    }
}
