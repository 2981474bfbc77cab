// Rows of the samples a stage kept within a range of ordinals, in one query a table: what export reads a page at a
// time, fetched at once rather than a few queries a sample (a merged run may export millions).
import GRDB

extension RunDatabase {
    /// The rows of `R`'s table that belong to samples `stage` kept whose ordinals lie in `ordinals`; CROSS JOIN makes
    /// SQLite start from the ordinal range, not from every kept outcome.
    func rows<R: FetchableRecord & TableRecord>(_ type: R.Type, keptBy stage: String, ordinals: ClosedRange<Int>,
                                                 order: String = "") throws -> [R] {
        try writer.read { db in
            try R.fetchAll(db, sql: """
                SELECT t.* FROM sample s CROSS JOIN outcome o ON o.sampleId = s.id AND o.stage = ? AND o.kept
                CROSS JOIN \(R.databaseTableName) t ON t.sampleId = s.id WHERE s.ordinal BETWEEN ? AND ?\(order)
                """, arguments: [stage, ordinals.lowerBound, ordinals.upperBound])
        }
    }

    public func rewrites(keptBy stage: String, ordinals: ClosedRange<Int>) throws -> [String: RewriteRecord] {
        Dictionary(try rows(RewriteRecord.self, keptBy: stage, ordinals: ordinals).map { ($0.sampleId, $0) },
                   uniquingKeysWith: { first, _ in first })
    }

    /// Each kept sample's test cases in index order, as `testCases(of:)` gives them.
    public func testCases(keptBy stage: String, ordinals: ClosedRange<Int>) throws -> [String: [TestCaseRecord]] {
        Dictionary(grouping: try rows(TestCaseRecord.self, keptBy: stage, ordinals: ordinals, order: " ORDER BY t.sampleId, t.\"index\""),
                   by: \.sampleId)
    }

    public func ranks(keptBy stage: String, ordinals: ClosedRange<Int>) throws -> [String: RankRecord] {
        Dictionary(try rows(RankRecord.self, keptBy: stage, ordinals: ordinals).map { ($0.sampleId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func faithfulness(keptBy stage: String, ordinals: ClosedRange<Int>) throws -> [String: FaithfulnessRecord] {
        Dictionary(try rows(FaithfulnessRecord.self, keptBy: stage, ordinals: ordinals).map { ($0.sampleId, $0) },
                   uniquingKeysWith: { first, _ in first })
    }
}
