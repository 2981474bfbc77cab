// rank: tests passed, how well the tests pin the original down, and difficulty: the curriculum order export can use.
import Foundation
import Store

struct RankStage: Stage {
    let name = StageName.rank
    let batchSize = 64

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let codes = try batch.map { try context.store.rewrite(of: $0.id)?.code ?? $0.code }
        let analyses = try PythonTools.analyze(zip(codes, batch).map { ($0, $1.entryPoint) })
        return try zip(batch, zip(codes, analyses)).map { sample, pair in
            let (code, analysis) = pair
            let cases = try context.store.testCases(of: sample.id).filter { $0.passed != nil }
            let passed = cases.filter { $0.passed == true }.count
            let adequacy = try context.store.adequacy(of: sample.id)
            let lines = code.split(separator: "\n", omittingEmptySubsequences: true).count
            let branches = analysis.branches ?? 0
            // More branches and more lines make a harder example; passing more tests makes it better specified.
            let difficulty = Double(branches) + Double(lines) / 10
            let rank = RankRecord(sampleId: sample.id, testsPassed: passed, testsTotal: cases.count,
                                  codeLines: lines, branches: branches, difficulty: difficulty,
                                  lineCoverage: adequacy?.lineCoverage, branchCoverage: adequacy?.branchCoverage,
                                  mutationScore: adequacy?.mutationScore,
                                  distinctOutputs: adequacy?.distinctOutputs ?? 0,
                                  derivedTests: cases.filter { $0.origin == "derived" }.count)
            return StageCommit(outcome: keep(sample), rank: rank)
        }
    }
}
