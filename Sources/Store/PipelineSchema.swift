// Tables of the build pipeline. Shipped migrations are never edited: add a new one for a change.
import GRDB

enum PipelineSchema {
    static func create(_ db: Database) throws {
        try db.create(table: "sample") { t in
            t.primaryKey("id", .text)
            t.column("ordinal", .integer).notNull().indexed()
            t.column("source", .text).notNull()
            t.column("line", .integer).notNull()
            t.column("entryPoint", .text).notNull()
            t.column("code", .text).notNull()
            t.column("givenInstruction", .text)
        }
        try db.create(table: "outcome") { t in
            t.column("sampleId", .text).notNull().references("sample", onDelete: .cascade)
            t.column("stage", .text).notNull()
            t.column("kept", .boolean).notNull()
            t.column("reason", .text)
            t.column("detail", .text)
            t.column("evidence", .text)
            t.column("seconds", .double).notNull()
            t.primaryKey(["sampleId", "stage"])
        }
        try db.create(index: "outcome_stage", on: "outcome", columns: ["stage", "kept", "reason"])
        try db.create(table: "modelCall") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("sampleId", .text).notNull().references("sample", onDelete: .cascade).indexed()
            t.column("stage", .text).notNull()
            t.column("attempt", .integer).notNull()
            t.column("prompt", .text).notNull()
            t.column("output", .text).notNull()
            t.column("promptTokens", .integer).notNull()
            t.column("completionTokens", .integer).notNull()
            t.column("seconds", .double).notNull()
        }
        try db.create(table: "rewrite") { t in
            t.primaryKey("sampleId", .text).references("sample", onDelete: .cascade)
            t.column("instruction", .text).notNull()
            t.column("code", .text).notNull()
        }
        try db.create(table: "testCase") { t in
            t.column("sampleId", .text).notNull().references("sample", onDelete: .cascade)
            t.column("index", .integer).notNull()
            t.column("arguments", .text).notNull()
            t.column("literal", .text).notNull()
            t.column("expectedStatus", .text)
            t.column("expectedValue", .text)
            t.column("passed", .boolean)
            t.column("actualStatus", .text)
            t.column("actualValue", .text)
            t.column("dropped", .text)
            t.primaryKey(["sampleId", "index"])
        }
        try db.create(table: "rank") { t in
            t.primaryKey("sampleId", .text).references("sample", onDelete: .cascade)
            t.column("testsPassed", .integer).notNull()
            t.column("testsTotal", .integer).notNull()
            t.column("codeLines", .integer).notNull()
            t.column("branches", .integer).notNull()
            t.column("difficulty", .double).notNull()
        }
        try db.create(table: "dedup") { t in
            t.primaryKey("sampleId", .text).references("sample", onDelete: .cascade)
            t.column("cluster", .integer).notNull()
            t.column("duplicateOf", .text)
            t.column("similarity", .double)
        }
        try db.create(table: "execution") { t in
            t.column("sampleId", .text).notNull().references("sample", onDelete: .cascade)
            t.column("run", .text).notNull()
            t.column("caseIndex", .integer).notNull()
            t.column("status", .text).notNull()
            t.column("value", .text)
            t.column("error", .text)
            t.column("stderr", .text).notNull()
            t.primaryKey(["sampleId", "run", "caseIndex"])
        }
        try db.create(table: "embedding") { t in
            t.column("sampleId", .text).notNull().references("sample", onDelete: .cascade)
            t.column("model", .text).notNull()
            t.column("vector", .blob).notNull()
            t.primaryKey(["sampleId", "model"])
        }
        try db.create(table: "export") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("format", .text).notNull()
            t.column("path", .text).notNull()
            t.column("count", .integer).notNull()
            t.column("createdAt", .datetime).notNull()
        }
    }
}

extension PipelineSchema {
    /// v3: what a call did beyond its return value (argument state, output, CPU time, lines run), where each
    /// test input came from, the parameter kinds probed on the original, and each test set's adequacy.
    static func behaviour(_ db: Database) throws {
        try db.alter(table: "sample") { t in
            t.add(column: "moduleName", .text)
            t.add(column: "moduleRoot", .text)
        }
        try db.alter(table: "testCase") { t in
            t.add(column: "origin", .text).notNull().defaults(to: "model")
            t.add(column: "derivation", .text)
            t.add(column: "expectedState", .text)
            t.add(column: "mutates", .boolean)
            t.add(column: "expectedOutput", .text)
            t.add(column: "expectedMessage", .text)
            t.add(column: "actualState", .text)
            t.add(column: "coverage", .text)
            t.add(column: "cpuSeconds", .double)
        }
        try db.alter(table: "execution") { t in
            t.add(column: "state", .text)
            t.add(column: "stdout", .text).notNull().defaults(to: "")
            t.add(column: "cpuSeconds", .double).notNull().defaults(to: 0)
        }
        try db.alter(table: "rank") { t in
            t.add(column: "lineCoverage", .double)
            t.add(column: "branchCoverage", .double)
            t.add(column: "mutationScore", .double)
            t.add(column: "distinctOutputs", .integer).notNull().defaults(to: 0)
            t.add(column: "derivedTests", .integer).notNull().defaults(to: 0)
        }
        try db.create(table: "probe") { t in
            t.primaryKey("sampleId", .text).references("sample", onDelete: .cascade)
            t.column("parameters", .text).notNull()
            t.column("coverageMap", .text)
            t.column("calls", .text).notNull()
            t.column("constants", .text).notNull()
        }
        try db.create(table: "adequacy") { t in
            t.primaryKey("sampleId", .text).references("sample", onDelete: .cascade)
            t.column("modelCases", .integer).notNull()
            t.column("derivedCases", .integer).notNull()
            t.column("normalCases", .integer).notNull()
            t.column("raisedCases", .integer).notNull()
            t.column("distinctOutputs", .integer).notNull()
            t.column("linesCovered", .integer).notNull()
            t.column("linesTotal", .integer).notNull()
            t.column("branchesCovered", .integer).notNull()
            t.column("branchesTotal", .integer).notNull()
            t.column("original", .text).notNull()
            t.column("mutants", .integer).notNull()
            t.column("mutantsKilled", .integer).notNull()
            t.column("mutantReport", .text)
        }
    }

    /// Instructions with their evidence, examples and claim checks; back-translation scores.
    static func instructions(_ db: Database) throws {
        try db.alter(table: "rewrite") { t in
            t.add(column: "instructionSource", .text)
            t.add(column: "evidence", .text)
            t.add(column: "examples", .text)
            t.add(column: "claims", .text)
        }
        try db.create(table: "faithfulness") { t in
            t.primaryKey("sampleId", .text).references("sample", onDelete: .cascade)
            t.column("code", .text).notNull()
            t.column("passed", .integer).notNull()
            t.column("total", .integer).notNull()
            t.column("score", .double).notNull()
            t.column("detail", .text)
            t.column("candidates", .text)
        }
    }

    /// Whose code the response is: the model's rewrite, or the original when no rewrite reproduced it.
    static func codeSource(_ db: Database) throws {
        try db.alter(table: "rewrite") { t in t.add(column: "codeSource", .text) }
    }

    /// Where each sample comes from: repository, commit and licence.
    static func provenance(_ db: Database) throws {
        try db.alter(table: "sample") { t in
            t.add(column: "repository", .text)
            t.add(column: "revision", .text)
            t.add(column: "license", .text)
            t.add(column: "licenseSource", .text)
        }
    }
}
