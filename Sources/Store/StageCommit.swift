// Everything one stage decided about one sample, written in a single transaction so a kill never splits it.
import GRDB

public struct StageCommit: Sendable {
    public var outcome: OutcomeRecord
    public var modelCalls: [ModelCallRecord] = []
    public var rewrite: RewriteRecord?
    /// Replaces the sample's test cases when non-nil.
    public var testCases: [TestCaseRecord]?
    public var rank: RankRecord?
    public var dedup: DedupRecord?
    public var executions: [ExecutionRecord] = []
    public var probe: ProbeRecord?
    public var adequacy: AdequacyRecord?
    public var faithfulness: FaithfulnessRecord?

    public init(outcome: OutcomeRecord, modelCalls: [ModelCallRecord] = [], rewrite: RewriteRecord? = nil,
                testCases: [TestCaseRecord]? = nil, rank: RankRecord? = nil, dedup: DedupRecord? = nil,
                executions: [ExecutionRecord] = [], probe: ProbeRecord? = nil, adequacy: AdequacyRecord? = nil,
                faithfulness: FaithfulnessRecord? = nil) {
        self.outcome = outcome; self.modelCalls = modelCalls; self.rewrite = rewrite
        self.testCases = testCases; self.rank = rank; self.dedup = dedup; self.executions = executions
        self.probe = probe; self.adequacy = adequacy; self.faithfulness = faithfulness
    }
}

/// Per-stage counts for the funnel summary.
public struct StageCount: Sendable, Equatable, Codable {
    public var stage: String
    public var kept: Int
    public var rejected: Int
    public var seconds: Double
    public var reasons: [ReasonCount]
}

public struct ReasonCount: Sendable, Equatable, Codable {
    public var reason: String
    public var count: Int
}

extension RunDatabase {
    public func insertSamples(_ samples: [SampleRecord]) throws {
        try writer.write { db in
            for sample in samples { try sample.insert(db, onConflict: .ignore) }
        }
    }

    public func commit(_ units: [StageCommit]) throws {
        try writer.write { db in
            for unit in units {
                try unit.outcome.insert(db, onConflict: .replace)
                for call in unit.modelCalls { try call.insert(db) }
                try unit.rewrite?.insert(db, onConflict: .replace)
                if let cases = unit.testCases {
                    try TestCaseRecord.filter(TestCaseRecord.Columns.sampleId == unit.outcome.sampleId).deleteAll(db)
                    for testCase in cases { try testCase.insert(db) }
                }
                try unit.rank?.insert(db, onConflict: .replace)
                try unit.dedup?.insert(db, onConflict: .replace)
                for execution in unit.executions { try execution.insert(db, onConflict: .replace) }
                try unit.probe?.insert(db, onConflict: .replace)
                try unit.adequacy?.insert(db, onConflict: .replace)
                try unit.faithfulness?.insert(db, onConflict: .replace)
            }
        }
    }

    /// Forgets what `stage` decided for every sample, so a resumed run decides it again: its outcomes and the
    /// semantic-duplicate records when the stage is SemDeDup (the only stage a changed setting re-runs today).
    public func forgetDecisions(of stage: String) throws {
        try writer.write { db in
            try OutcomeRecord.filter(OutcomeRecord.Columns.stage == stage).deleteAll(db)
            if stage == "semdedup" { try DedupRecord.deleteAll(db) }
        }
    }

    /// Samples that `previous` kept (every sample when nil) and `stage` has not decided yet, in input order.
    public func pending(stage: String, after previous: String?, withCode: Bool = true) throws -> [SampleRecord] {
        return try writer.read { db in
            // Without their code, samples keep their place and provenance but not their two long texts.
            let columns = withCode ? "s.*" : try Row.fetchAll(db, sql: "PRAGMA table_info(sample)").map { row -> String in
                let name: String = row["name"]
                switch name {
                case "code": return "'' AS code"
                case "givenInstruction": return "NULL AS givenInstruction"
                default: return "s.\"\(name)\""
                }
            }.joined(separator: ", ")
            if let previous {
                return try SampleRecord.fetchAll(db, sql: """
                    SELECT \(columns) FROM sample s JOIN outcome p ON p.sampleId = s.id AND p.stage = ? AND p.kept
                    WHERE NOT EXISTS (SELECT 1 FROM outcome o WHERE o.sampleId = s.id AND o.stage = ?)
                    ORDER BY s.ordinal
                    """, arguments: [previous, stage])
            }
            return try SampleRecord.fetchAll(db, sql: """
                SELECT \(columns) FROM sample s
                WHERE NOT EXISTS (SELECT 1 FROM outcome o WHERE o.sampleId = s.id AND o.stage = ?)
                ORDER BY s.ordinal
                """, arguments: [stage])
        }
    }

    /// How many samples `stage` kept.
    public func keptCount(by stage: String) throws -> Int {
        try writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outcome WHERE stage = ? AND kept", arguments: [stage]) ?? 0
        }
    }

    /// Whether every sample's decisions end, at or before `stage`, in a rejection or in `stage` keeping it (nothing is
    /// pending there or before). Two counts, not a walk: a sample is rejected at most once, and never after it was kept
    /// at the end, so the counts add up to the samples exactly when each sample is one or the other.
    public func allDecided(through stage: String, before later: [String]) throws -> Bool {
        try writer.read { db in
            let samples = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sample") ?? 0
            let kept = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outcome WHERE stage = ? AND kept", arguments: [stage]) ?? 0
            let rejected = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outcome WHERE NOT kept AND stage NOT IN (\(databaseQuestionMarks(count: later.count)))",
                                            arguments: StatementArguments(later)) ?? 0
            return samples == kept + rejected
        }
    }

    /// Samples kept by `stage`, in input order.
    public func kept(by stage: String) throws -> [SampleRecord] {
        try writer.read { db in
            try SampleRecord.fetchAll(db, sql: """
                SELECT s.* FROM sample s JOIN outcome o ON o.sampleId = s.id AND o.stage = ? AND o.kept
                ORDER BY s.ordinal
                """, arguments: [stage])
        }
    }

    /// At most `limit` samples kept by `stage` whose ordinal follows `ordinal`, in input order: a page of `kept(by:)`.
    /// CROSS JOIN keeps SQLite walking samples by ordinal; left to choose, it scans every kept outcome for each page.
    public func kept(by stage: String, after ordinal: Int, limit: Int) throws -> [SampleRecord] {
        try writer.read { db in
            try SampleRecord.fetchAll(db, sql: """
                SELECT s.* FROM sample s CROSS JOIN outcome o ON o.sampleId = s.id AND o.stage = ? AND o.kept
                WHERE s.ordinal > ? ORDER BY s.ordinal LIMIT ?
                """, arguments: [stage, ordinal, limit])
        }
    }

    /// The evidence of every sample `stage` kept, by sample id: one query however many there are.
    public func keptEvidence(by stage: String) throws -> [String: String] {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT sampleId, evidence FROM outcome WHERE stage = ? AND kept AND evidence IS NOT NULL",
                                        arguments: [stage])
            return Dictionary(rows.map { ($0["sampleId"] as String, $0["evidence"] as String) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Every sample of the run, in input order.
    public func samples() throws -> [SampleRecord] {
        try writer.read { db in try SampleRecord.order(SampleRecord.Columns.ordinal).fetchAll(db) }
    }

    /// The directories the collected modules are imported from.
    public func moduleRoots() throws -> [String] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT moduleRoot FROM sample WHERE moduleRoot IS NOT NULL ORDER BY moduleRoot")
        }
    }

    public func sampleCount() throws -> Int {
        try writer.read { db in try SampleRecord.fetchCount(db) }
    }

    public func outcome(of sampleId: String, stage: String) throws -> OutcomeRecord? {
        try writer.read { db in
            try OutcomeRecord.filter(OutcomeRecord.Columns.sampleId == sampleId && OutcomeRecord.Columns.stage == stage).fetchOne(db)
        }
    }

    public func rewrite(of sampleId: String) throws -> RewriteRecord? {
        try writer.read { db in try RewriteRecord.filter(RewriteRecord.Columns.sampleId == sampleId).fetchOne(db) }
    }

    public func testCases(of sampleId: String) throws -> [TestCaseRecord] {
        try writer.read { db in
            try TestCaseRecord.filter(TestCaseRecord.Columns.sampleId == sampleId).order(TestCaseRecord.Columns.index).fetchAll(db)
        }
    }

    public func probe(of sampleId: String) throws -> ProbeRecord? {
        try writer.read { db in try ProbeRecord.filter(ProbeRecord.Columns.sampleId == sampleId).fetchOne(db) }
    }

    public func faithfulness(of sampleId: String) throws -> FaithfulnessRecord? {
        try writer.read { db in try FaithfulnessRecord.filter(FaithfulnessRecord.Columns.sampleId == sampleId).fetchOne(db) }
    }

    public func adequacy(of sampleId: String) throws -> AdequacyRecord? {
        try writer.read { db in try AdequacyRecord.filter(AdequacyRecord.Columns.sampleId == sampleId).fetchOne(db) }
    }

    public func rank(of sampleId: String) throws -> RankRecord? {
        try writer.read { db in try RankRecord.filter(RankRecord.Columns.sampleId == sampleId).fetchOne(db) }
    }

    public func dedup(of sampleId: String) throws -> DedupRecord? {
        try writer.read { db in try DedupRecord.filter(DedupRecord.Columns.sampleId == sampleId).fetchOne(db) }
    }

    public func modelCalls(of sampleId: String) throws -> [ModelCallRecord] {
        try writer.read { db in
            try ModelCallRecord.filter(ModelCallRecord.Columns.sampleId == sampleId).order(ModelCallRecord.Columns.id).fetchAll(db)
        }
    }

    public func executions(of sampleId: String) throws -> [ExecutionRecord] {
        try writer.read { db in
            try ExecutionRecord.filter(ExecutionRecord.Columns.sampleId == sampleId).order(ExecutionRecord.Columns.run, ExecutionRecord.Columns.caseIndex).fetchAll(db)
        }
    }

    public func embeddings(model: String, sampleIds: [String]) throws -> [String: [Float]] {
        try writer.read { db in
            var found: [String: [Float]] = [:]
            // In slices: SQLite takes at most 32,766 parameters a statement, and a run may hold millions of samples.
            for start in stride(from: 0, to: sampleIds.count, by: 10_000) {
                let slice = sampleIds[start..<min(start + 10_000, sampleIds.count)]
                for record in try EmbeddingRecord.filter(EmbeddingRecord.Columns.model == model && slice.contains(EmbeddingRecord.Columns.sampleId)).fetchAll(db) {
                    found[record.sampleId] = record.values
                }
            }
            return found
        }
    }

    /// The stored vectors of `sampleIds` under `model`, each handed to `row` with its position in `sampleIds` (in the
    /// table's order, one pass: a merge may hold millions, and no array a vector is made); returns the positions with
    /// none. What `row` is given is valid only during the call. A stored vector of another length is an error naming
    /// its sample.
    public func embeddingRows(model: String, sampleIds: [String], dimension: Int,
                              _ row: (Int, UnsafeRawBufferPointer) throws -> Void) throws -> [Int] {
        var position: [String: Int] = [:]
        position.reserveCapacity(sampleIds.count)
        for (index, id) in sampleIds.enumerated() { position[id] = index }
        var found = [Bool](repeating: false, count: sampleIds.count)
        try writer.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT sampleId, vector FROM embedding WHERE model = ?", arguments: [model])
            while let stored = try rows.next() {
                guard let index = position[stored[0] as String] else { continue }
                guard let bytes = stored.dataNoCopy(atIndex: 1), bytes.count == dimension * MemoryLayout<Float>.size else {
                    throw StoreError.notARun(path: path ?? "the run database",
                                             reason: "sample \(stored[0] as String): its \(model) vector does not have \(dimension) dimensions")
                }
                try bytes.withUnsafeBytes { try row(index, $0) }
                found[index] = true
            }
        }
        return found.indices.filter { !found[$0] }
    }

    public func saveEmbeddings(_ records: [EmbeddingRecord]) throws {
        try writer.write { db in
            for record in records { try record.insert(db, onConflict: .replace) }
        }
    }

    public func recordExport(_ export: ExportRecord) throws {
        try writer.write { db in try export.insert(db) }
    }

    /// Kept and rejected counts per stage with the reasons, most frequent first.
    public func funnel(stages: [String]) throws -> [StageCount] {
        try writer.read { db in
            try stages.map { stage in
                let kept = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outcome WHERE stage = ? AND kept", arguments: [stage]) ?? 0
                let rejected = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outcome WHERE stage = ? AND NOT kept", arguments: [stage]) ?? 0
                let seconds = try Double.fetchOne(db, sql: "SELECT COALESCE(SUM(seconds), 0) FROM outcome WHERE stage = ?", arguments: [stage]) ?? 0
                let rows = try Row.fetchAll(db, sql: """
                    SELECT reason, COUNT(*) AS n FROM outcome WHERE stage = ? AND NOT kept
                    GROUP BY reason ORDER BY n DESC, reason
                    """, arguments: [stage])
                let reasons = rows.map { ReasonCount(reason: $0["reason"] ?? "unknown", count: $0["n"]) }
                return StageCount(stage: stage, kept: kept, rejected: rejected, seconds: seconds, reasons: reasons)
            }
        }
    }
}
