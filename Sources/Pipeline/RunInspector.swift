// What `inspect` shows, gathered from a run database into plain Codable values (printed as text or JSON).
import Foundation
import Store

public struct RunSummary: Codable, Sendable {
    public var database: String
    public var samples: Int
    public var stages: [StageCount]
    public var dedupRemovals: Int
    public var modelUsage: [ModelUsage]
    public var exports: Int
    /// Whether the model's answers were constrained (nil before any model stage ran).
    public var constraints: String?
}

public struct CaseDetail: Codable, Sendable {
    public var input: String
    /// `model` or `derived`, and for derived inputs which argument changed and how.
    public var origin: String
    public var derivation: String?
    public var expected: String?
    /// The arguments' state after the original's call, and after the rewrite's.
    public var expectedState: String?
    public var actualState: String?
    public var actual: String?
    public var passed: Bool?
    public var dropped: String?
    public var firstMismatch: Bool
    /// Lines of the entry point this input runs, and decision outcomes it reaches.
    public var linesRun: Int?
    public var branchesReached: [String]?
}

public struct SampleDetail: Codable, Sendable {
    public var id: String
    public var source: String
    public var line: Int
    public var entryPoint: String
    public var code: String
    public var instruction: String?
    public var rewrite: String?
    public var diff: String?
    /// Stage decisions in pipeline order.
    public var outcomes: [OutcomeRecord]
    public var cases: [CaseDetail]
    public var modelCalls: [ModelCallRecord]
    /// Every sandbox call: the original twice, then the rewrite.
    public var executions: [ExecutionRecord]
    public var dedup: DedupRecord?
    public var rank: RankRecord?
    /// The parameters with their inferred and probed kinds, and the probe calls with their outcomes.
    public var parameters: [ParameterInfo]
    public var probes: [ProbeOutcome]
    /// How well the test set pins the original down.
    public var adequacy: AdequacyRecord?
    /// Where the instruction came from (docstring, model, given), the runs the model was shown, each check of
    /// what the instruction claims (those of the rejected attempt when it was rejected for them), and the
    /// back-translation with its score.
    public var instructionSource: String?
    public var evidence: [String] = []
    public var claims: [ClaimCheck] = []
    public var faithfulness: FaithfulnessRecord?
}

public enum RunInspector {
    /// The run directory to inspect: the given one, else the most recently changed run under `runs/`.
    public static func locate(_ run: String?) throws -> String {
        let fm = FileManager.default
        if let run {
            let path = run.hasSuffix(".sqlite") ? run : (run as NSString).appendingPathComponent("run.sqlite")
            guard fm.fileExists(atPath: path) else {
                throw PipelineError.input(path: path, message: "no run database here (give the run directory of a build)")
            }
            return path
        }
        let runs = ((try? fm.contentsOfDirectory(atPath: "runs")) ?? [])
            .map { "runs/\($0)/run.sqlite" }
            .filter { fm.fileExists(atPath: $0) }
        let newest = runs.max {
            let a = (try? fm.attributesOfItem(atPath: $0)[.modificationDate] as? Date) ?? .distantPast
            let b = (try? fm.attributesOfItem(atPath: $1)[.modificationDate] as? Date) ?? .distantPast
            return a < b
        }
        guard let newest else {
            throw PipelineError.input(path: "runs", message: "no run found; pass --run DIR or run `semi-instruct build` first")
        }
        return newest
    }

    public static func summary(_ store: RunDatabase, path: String) throws -> RunSummary {
        let stages = try store.funnel(stages: StageName.allCases.map(\.rawValue))
        return RunSummary(database: path, samples: try store.sampleCount(), stages: stages,
                          dedupRemovals: stages.first { $0.stage == StageName.semdedup.rawValue }?.reasons
                              .first { $0.reason == "semantic-duplicate" }?.count ?? 0,
                          modelUsage: try store.modelUsage(), exports: try store.exportCount(),
                          constraints: try store.meta("generator.constraints"))
    }

    public static func detail(_ store: RunDatabase, id: String) throws -> SampleDetail {
        var sample = try store.sample(id: id)
        if sample == nil {
            let matches = try store.samples(idPrefix: id)
            guard matches.count <= 1 else {
                throw PipelineError.input(path: id, message: "ambiguous sample id: \(matches.map(\.id).joined(separator: ", "))")
            }
            sample = matches.first
        }
        guard let sample else { throw PipelineError.input(path: id, message: "no sample with this id in the run") }
        let order = StageName.allCases.map(\.rawValue)
        let outcomes = try store.outcomes(of: sample.id).sorted {
            (order.firstIndex(of: $0.stage) ?? 99) < (order.firstIndex(of: $1.stage) ?? 99)
        }
        let rewrite = try store.rewrite(of: sample.id)
        var sawMismatch = false
        let cases = try store.testCases(of: sample.id).map { record -> CaseDetail in
            let expected = record.expectedStatus.map { status in status == "ok" ? record.expectedValue ?? "" : "raises \(record.expectedValue ?? "")" }
            let actual = record.actualStatus.map { status in status == "ok" ? record.actualValue ?? "" : "\(status) \(record.actualValue ?? "")" }
            let first = record.passed == false && !sawMismatch
            if first { sawMismatch = true }
            let coverage = CaseCoverage.read(record.coverage)
            return CaseDetail(input: record.arguments, origin: record.origin, derivation: record.derivation, expected: expected,
                              expectedState: record.expectedState, actualState: record.actualState, actual: actual, passed: record.passed,
                              dropped: record.dropped, firstMismatch: first, linesRun: coverage?.lines.count, branchesReached: coverage?.branches)
        }
        let probe = ParameterProbe.stored(try store.probe(of: sample.id))
        let decode = { (text: String?) in text.flatMap { try? JSONDecoder().decode([ClaimCheck].self, from: Data($0.utf8)) } }
        let misdescribed = outcomes.first { $0.reason == "instruction-contradicts-code" }?.evidence
        var detail = SampleDetail(
            id: sample.id, source: sample.source, line: sample.line, entryPoint: sample.entryPoint, code: sample.code,
            instruction: rewrite?.instruction, rewrite: rewrite?.code,
            diff: rewrite.map { LineDiff.unified(from: sample.code, to: $0.code) },
            outcomes: outcomes, cases: cases, modelCalls: try store.modelCalls(of: sample.id),
            executions: try store.executions(of: sample.id),
            dedup: try store.dedup(of: sample.id), rank: try store.rank(of: sample.id),
            parameters: probe.parameters, probes: probe.calls, adequacy: try store.adequacy(of: sample.id))
        detail.instructionSource = rewrite?.instructionSource
        detail.evidence = rewrite?.evidence.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
        detail.claims = decode(rewrite?.claims) ?? decode(misdescribed) ?? []
        detail.faithfulness = try store.faithfulness(of: sample.id)
        return detail
    }
}
