// What each rejection reason means and which stages give it, for the people reading a run.

extension RejectionReason {
    public var stages: [StageName] {
        switch self {
        case .unreadable, .fileTooLarge, .binaryFile, .empty, .generated, .notUTF8, .vendored, .malformedJSON, .missingField,
             .wrongType, .licenseUnknown, .licenseNotAllowed, .noFunctions, .kindNotCollected, .inWholeClass, .nested,
             .asyncFunction, .abstractClass, .specialMethod, .property, .noSelf:
            [.collect]
        case .python2Syntax, .doesNotParse: [.collect, .prefilter]
        case .entryPointMissing: [.collect, .prefilter, .testInputs]
        case .analysisFailed: [.collect, .testInputs]
        case .contaminated: [.decontaminateInput, .decontaminateOutput]
        case .relativeImport, .tooShort, .tooLong, .tooMuchContext, .dataDense, .undefinedNames, .generator, .noParameters,
             .exactDuplicate:
            [.prefilter]
        case .tooFewInputs, .missingDependency, .objectCannotBeBuilt: [.testInputs]
        case .generationFailed: [.testInputs, .rewrite, .instruct]
        case .extractionIncomplete: [.runOriginal, .augment]
        case .nondeterministic, .environmentFact, .originalSlow, .originalDoesNotBind, .originalTimeout, .originalMemory,
             .originalOutputLimit, .originalKilled, .originalCrashed:
            [.runOriginal]
        case .tooFewNormalReturns: [.runOriginal, .augment]
        case .degenerateTests, .lowCoverage, .weakTests: [.augment]
        case .noCodeBlock, .rewriteDoesNotParse, .entryPointLost, .signatureChanged: [.rewrite]
        case .noInstruction: [.rewrite, .instruct]
        case .mismatch: [.rewrite, .verify]
        case .noRewrite: [.verify, .instruct, .faithfulness]
        case .noTests: [.verify]
        case .instructionContradictsCode: [.instruct]
        case .unfaithfulInstruction: [.faithfulness]
        case .semanticDuplicate: [.semdedup]
        }
    }

    public var meaning: String {
        switch self {
        case .unreadable: "the file could not be read"
        case .fileTooLarge: "the file is larger than 2 MiB"
        case .binaryFile: "the file holds NUL bytes: not source code"
        case .empty: "the file or record holds no code"
        case .generated: "generated code (protobuf stubs, files marked generated, minified code)"
        case .notUTF8: "the file or line is not valid UTF-8"
        case .vendored: "a folder of vendored or installed code, not the repository's own"
        case .malformedJSON: "a JSONL line that is not a JSON object"
        case .missingField: "a JSONL record without the recipe's code field"
        case .wrongType: "a JSONL record whose code field is not a string"
        case .licenseUnknown: "no licence found for the file, and the recipe allows only named licences"
        case .licenseNotAllowed: "the file's licence is not in the recipe's allow-list"
        case .noFunctions: "no function, method or class to make a sample of"
        case .entryPointMissing: "the named function is not in the code"
        case .kindNotCollected: "its kind (method, nested, whole class, ...) is not in the recipe's collect.kinds"
        case .inWholeClass: "a method of a class that is a whole-class sample itself"
        case .nested: "a nested function that needs names of the function around it"
        case .asyncFunction: "a coroutine: calling it needs an event loop"
        case .abstractClass: "a method of a class with abstract methods: no object of it can be built"
        case .specialMethod: "a special method (__repr__, __eq__, ...) that Python calls for you, not a task"
        case .property: "a property: read as an attribute, not called"
        case .noSelf: "a method without a self or cls parameter: it cannot be called on its class"
        case .python2Syntax: "Python 2 only code"
        case .doesNotParse: "the code does not parse as Python 3"
        case .analysisFailed: "the static analysis could not read the code"
        case .contaminated: "it overlaps a benchmark problem (n-grams, its reference body or its entry point)"
        case .relativeImport: "a relative import whose package is unknown, so the code cannot run alone"
        case .tooShort: "fewer lines than prefilter.min_lines"
        case .tooLong: "more lines than prefilter.max_lines"
        case .tooMuchContext: "it needs more surrounding code (class, helpers, constants) than a sample may carry"
        case .dataDense: "mostly data (literals, tables), little logic"
        case .undefinedNames: "it uses names defined nowhere it can see (Ruff F821)"
        case .generator: "a generator: it returns an iterator whose values cannot be compared"
        case .noParameters: "no parameters, so no input can tell two behaviours apart"
        case .exactDuplicate: "the same code as an earlier sample, after formatting and comments"
        case .tooFewInputs: "the model wrote no usable test input the original can run, in all its attempts"
        case .missingDependency: "the code imports a module the sandbox does not have"
        case .objectCannotBeBuilt: "no constructor call from literals builds the object its methods need"
        case .generationFailed: "the model could not answer (prompt too long for its context, or a constraint dead end)"
        case .extractionIncomplete: "the extracted code behaves differently from the function in its own module"
        case .nondeterministic: "the original gives different results in two environments for every input"
        case .environmentFact: "every result holds text from this machine (versions, paths), not from the code"
        case .originalSlow: "every input used more than half the CPU budget on its first run"
        case .originalDoesNotBind: "no input could even be passed to the original (wrong arguments)"
        case .originalTimeout: "the original ran out of time on every input"
        case .originalMemory: "the original ran out of memory on every input"
        case .originalOutputLimit: "the original printed past the output limit on every input"
        case .originalKilled: "the sandbox killed the original on every input"
        case .originalCrashed: "the original's interpreter crashed on every input"
        case .tooFewNormalReturns: "fewer inputs return normally than tests.minimum, even after augmentation"
        case .degenerateTests: "fewer distinct normal outputs than tests.min_distinct_outputs: the tests cannot tell behaviours apart"
        case .lowCoverage: "the tests run a smaller share of the original's lines than tests.min_line_coverage"
        case .weakTests: "the tests tell a smaller share of mutants from the original than tests.min_mutation_score"
        case .noCodeBlock: "the model's answer holds no code"
        case .rewriteDoesNotParse: "the rewrite does not parse"
        case .entryPointLost: "the rewrite lost the function, method or class it rewrites"
        case .signatureChanged: "the rewrite changed the parameters of the entry point or a public method"
        case .noInstruction: "the model's answer holds no instruction"
        case .mismatch: "the rewrite gives a different result from the original on a test (verify.pass_ratio)"
        case .noRewrite: "no rewrite is stored for the sample"
        case .noTests: "no test case is left to verify the rewrite with"
        case .instructionContradictsCode: "the instruction says something the code contradicts (names, parameters, result)"
        case .unfaithfulInstruction: "code written from the instruction alone passes fewer held-back tests than instruction.min_faithfulness"
        case .semanticDuplicate: "SemDeDup found it too similar to a kept sample"
        }
    }

    /// The list as a Markdown table: the README's section is this text.
    public static var markdownTable: String {
        var lines = ["| reason | stages | meaning |", "| --- | --- | --- |"]
        for reason in allCases {
            lines.append("| `\(reason.rawValue)` | \(reason.stages.map(\.rawValue).joined(separator: ", ")) | \(reason.meaning) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
