// Read-only queries behind `inspect`: rejections with filters, model usage, one sample's whole story.
import GRDB

public struct RejectionRow: Codable, Sendable, Equatable, FetchableRecord {
    public var sampleId: String
    public var source: String
    public var line: Int
    public var entryPoint: String
    public var stage: String
    public var reason: String
    public var detail: String
}

public struct ModelUsage: Codable, Sendable, Equatable, FetchableRecord {
    public var stage: String
    public var calls: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var seconds: Double
}

extension RunDatabase {
    /// Rejected samples, in input order; `grep` matches the detail, the code, the source or the entry point.
    public func rejections(stage: String? = nil, reason: String? = nil, grep: String? = nil, limit: Int? = nil) throws -> [RejectionRow] {
        var sql = """
            SELECT o.sampleId, s.source, s.line, s.entryPoint, o.stage, COALESCE(o.reason, '') AS reason,
                   COALESCE(o.detail, '') AS detail
            FROM outcome o JOIN sample s ON s.id = o.sampleId WHERE NOT o.kept
            """
        var arguments = StatementArguments()
        if let stage { sql += " AND o.stage = ?"; arguments += [stage] }
        if let reason { sql += " AND o.reason = ?"; arguments += [reason] }
        if let grep {
            sql += " AND (instr(o.detail, ?) > 0 OR instr(s.code, ?) > 0 OR instr(s.source, ?) > 0 OR instr(s.entryPoint, ?) > 0)"
            arguments += [grep, grep, grep, grep]
        }
        sql += " ORDER BY s.ordinal"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        let statementArguments = arguments
        return try writer.read { db in try RejectionRow.fetchAll(db, sql: sql, arguments: statementArguments) }
    }

    public func modelUsage() throws -> [ModelUsage] {
        try writer.read { db in
            try ModelUsage.fetchAll(db, sql: """
                SELECT stage, COUNT(*) AS calls, SUM(promptTokens) AS promptTokens,
                       SUM(completionTokens) AS completionTokens, SUM(seconds) AS seconds
                FROM modelCall GROUP BY stage ORDER BY MIN(id)
                """)
        }
    }

    /// Every decision with this reason, in input order.
    public func outcomes(reason: String) throws -> [OutcomeRecord] {
        try writer.read { db in
            try OutcomeRecord.fetchAll(db, sql: "SELECT o.* FROM outcome o JOIN sample s ON s.id = o.sampleId WHERE o.reason = ? ORDER BY s.ordinal",
                                       arguments: [reason])
        }
    }

    public func exportCount() throws -> Int {
        try writer.read { db in try ExportRecord.fetchCount(db) }
    }

    public func sample(id: String) throws -> SampleRecord? {
        try writer.read { db in try SampleRecord.fetchOne(db, key: id) }
    }

    /// Samples whose id starts with `prefix`, so users can type a short id.
    public func samples(idPrefix prefix: String) throws -> [SampleRecord] {
        try writer.read { db in
            try SampleRecord.fetchAll(db, sql: "SELECT * FROM sample WHERE substr(id, 1, ?) = ? ORDER BY ordinal LIMIT 10",
                                      arguments: [prefix.count, prefix])
        }
    }

    public func outcomes(of sampleId: String) throws -> [OutcomeRecord] {
        try writer.read { db in
            try OutcomeRecord.fetchAll(db, sql: "SELECT * FROM outcome WHERE sampleId = ?", arguments: [sampleId])
        }
    }
}
