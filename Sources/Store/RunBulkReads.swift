// Rows of every sample a stage kept, in one query a table: what export reads, fetched at once rather than a few
// queries a sample (a merged run may export millions).
import GRDB

extension RunDatabase {
    /// The rows of `R`'s table that belong to samples `stage` kept, by sample id.
    func rows<R: FetchableRecord & TableRecord>(_ type: R.Type, keptBy stage: String, order: String = "") throws -> [R] {
        try writer.read { db in
            try R.fetchAll(db, sql: """
                SELECT t.* FROM \(R.databaseTableName) t JOIN outcome o ON o.sampleId = t.sampleId AND o.stage = ? AND o.kept\(order)
                """, arguments: [stage])
        }
    }

    public func rewrites(keptBy stage: String) throws -> [String: RewriteRecord] {
        Dictionary(try rows(RewriteRecord.self, keptBy: stage).map { ($0.sampleId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Each kept sample's test cases in index order, as `testCases(of:)` gives them.
    public func testCases(keptBy stage: String) throws -> [String: [TestCaseRecord]] {
        Dictionary(grouping: try rows(TestCaseRecord.self, keptBy: stage, order: " ORDER BY t.sampleId, t.\"index\""), by: \.sampleId)
    }

    public func ranks(keptBy stage: String) throws -> [String: RankRecord] {
        Dictionary(try rows(RankRecord.self, keptBy: stage).map { ($0.sampleId, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func faithfulness(keptBy stage: String) throws -> [String: FaithfulnessRecord] {
        Dictionary(try rows(FaithfulnessRecord.self, keptBy: stage).map { ($0.sampleId, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
