// augment: more inputs without the model. From inputs that work (the model's and the probes'), boundary values
// and small changes of one argument at a time are tried on the original; those that reach new lines or decisions
// or give a new output join the test set. Then the set's adequacy is measured and a degenerate one is rejected.
import Foundation
import Store

struct AugmentStage: Stage {
    let name = StageName.augment
    var batchSize: Int { 16 }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        guard let runner = context.runner else { throw PipelineError.isolation("augment needs a code runner") }
        let store = context.store
        let recipe = context.recipe
        let stage = self
        return try await parallelMap(batch, workers: context.workers) { sample in
            let start = DispatchTime.now()
            var cases = try store.testCases(of: sample.id)
            let probe = ParameterProbe.stored(try store.probe(of: sample.id))
            let original = (try store.outcome(of: sample.id, stage: StageName.runOriginal.rawValue)?.evidence)
                .flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }?["original"] ?? "snippet"

            // Candidates: probe calls that returned or raised inside the function (not on an argument's kind),
            // then changes of every working input.
            let known = Set(cases.map(\.literal))
            let seeds = cases.filter { $0.isActive && $0.expectedStatus == "ok" }.map(\.literal)
                + probe.calls.filter { $0.outcome.hasPrefix("ok") }.map(\.literal)
            let usefulProbes = probe.calls.filter { call in
                call.outcome.hasPrefix("ok") || (call.outcome.hasPrefix("raised") && !Self.kindErrors.contains { call.outcome.hasPrefix("raised \($0)") })
            }
            var candidates = usefulProbes.filter { !known.contains($0.literal) }
                .map { DerivedInput(display: $0.display, literal: $0.literal, how: "probe: " + $0.labels.map { "\($0[0]) as \($0[1])" }.joined(separator: ", ")) }
            let derived = try PythonTools.derive(seeds: seeds, parameters: probe.parameters, limit: recipe.tests.candidates)
            candidates += derived.filter { !known.contains($0.literal) && !candidates.map(\.literal).contains($0.literal) }
            candidates = Array(candidates.prefix(recipe.tests.candidates))

            // Tried on the original (traced); kept when they add coverage or a behaviour not seen yet.
            var chosen: [DerivedInput] = []
            var executions: [ExecutionRecord] = []
            if !candidates.isEmpty, recipe.tests.derived > 0 {
                let tried = try await runner.run(CodeRun(code: sample.code, entry: sample.entryPoint, literals: candidates.map(\.literal),
                                                         trace: probe.coverage != nil))
                executions += records(sample, "candidate", tried, indices: Array(tried.indices))
                var seen = AdequacyTally(map: probe.coverage, compareOutput: recipe.verify.compareOutput)
                for testCase in cases where testCase.isActive { seen.add(Behaviour.expected(testCase), CaseCoverage.read(testCase.coverage)) }
                // First the inputs that reach code no other input reached, then those with a new output.
                let usable = zip(candidates, tried).filter { candidate, result in
                    OriginalRuns.settle(result, budget: runner.budgetSeconds) == nil
                        && (result.status == "ok" || (recipe.verify.expectExceptions && !Self.kindErrors.contains(result.exceptionType ?? "")))
                }.map { candidate, result in
                    (candidate, result, probe.coverage.map { CaseCoverage(map: $0, lines: result.lines ?? [], arcs: result.arcs ?? []) })
                }
                for (candidate, result, coverage) in usable where chosen.count < recipe.tests.derived && seen.reaches(coverage) {
                    seen.add(result, coverage)
                    chosen.append(candidate)
                }
                // An exception is kept only where it runs code no other input reached (a `raise` branch).
                for (candidate, result, coverage) in usable where chosen.count < recipe.tests.derived && result.status == "ok"
                    && !chosen.contains(candidate) {
                    if seen.add(result, coverage) { chosen.append(candidate) }
                }
                chosen.sort { a, b in candidates.firstIndex(of: a)! < candidates.firstIndex(of: b)! }
            }

            // The chosen inputs are settled like the model's: two environments, the module, coverage.
            let firstIndex = (cases.map(\.index).max() ?? -1) + 1
            var additions = chosen.enumerated().map { offset, input in
                TestCaseRecord(sampleId: sample.id, index: firstIndex + offset, arguments: input.display, literal: input.literal,
                               origin: "derived", derivation: input.how)
            }
            let observation = try await OriginalRuns.observe(
                sample, literals: chosen.map(\.literal), indices: additions.map(\.index), displays: chosen.map(\.display),
                map: probe.coverage, runner: runner, compareOutput: recipe.verify.compareOutput)
            executions += observation.executions
            for (position, observed) in observation.cases.enumerated() {
                if let result = observed.result, observed.drop == nil {
                    Behaviour.setExpected(&additions[position], result)
                    additions[position].coverage = observed.coverage?.json
                } else {
                    additions[position].dropped = observed.drop ?? "unsettled"
                }
            }
            cases += additions
            let seconds = elapsed(since: start)
            if let difference = observation.extraction {
                return StageCommit(outcome: stage.reject(sample, "extraction-incomplete",
                    "on (\(difference.input)) the function in its module \(difference.inModule), the extracted code \(difference.extracted)",
                    evidence: jsonText(difference), seconds: seconds), testCases: cases, executions: executions)
            }

            let adequacy = AdequacyTally.measure(sample, cases, map: probe.coverage, compareOutput: recipe.verify.compareOutput, original: original)
            let evidence = jsonText(adequacy)
            if let (reason, detail) = Self.problem(adequacy, recipe.tests) {
                return StageCommit(outcome: stage.reject(sample, reason, detail, evidence: evidence, seconds: seconds),
                                   testCases: cases, executions: executions, adequacy: adequacy)
            }
            return StageCommit(outcome: stage.keep(sample, seconds: seconds, evidence: evidence), testCases: cases,
                               executions: executions, adequacy: adequacy)
        }
    }

    /// Exceptions that say an argument was of the wrong kind: behaviour of the input, not of the function.
    static let kindErrors: Set<String> = ["TypeError", "AttributeError"]

    /// Why a test set cannot tell a right rewrite from a wrong one, or nil when it can.
    static func problem(_ adequacy: AdequacyRecord, _ settings: Recipe.TestSettings) -> (String, String)? {
        let counts = "\(adequacy.modelCases) model and \(adequacy.derivedCases) derived inputs"
        if adequacy.normalCases < settings.minimum {
            return ("too-few-normal-returns", "\(adequacy.normalCases) inputs return normally (\(counts)); the minimum is \(settings.minimum)")
        }
        if adequacy.distinctOutputs < settings.minDistinctOutputs {
            return ("degenerate-tests", "\(adequacy.distinctOutputs) distinct normal output(s) from \(counts); "
                    + "the minimum is \(settings.minDistinctOutputs), even after augmentation")
        }
        if let coverage = adequacy.lineCoverage, coverage < settings.minLineCoverage {
            return ("low-coverage", "the tests run \(adequacy.linesCovered) of \(adequacy.linesTotal) lines "
                    + "(\(Int((coverage * 100).rounded()))%); the minimum is \(Int((settings.minLineCoverage * 100).rounded()))%")
        }
        return nil
    }
}

/// Coverage and behaviours seen so far in a test set.
struct AdequacyTally {
    let map: CoverageMap?
    let compareOutput: Bool
    var lines = Set<Int>()
    var branches = Set<String>()
    var behaviours = Set<String>()

    init(map: CoverageMap?, compareOutput: Bool) {
        self.map = map; self.compareOutput = compareOutput
    }

    /// Adds one case; true when it reached a line or decision outcome, or behaved in a way, not seen before.
    @discardableResult
    mutating func add(_ result: CaseResult, _ coverage: CaseCoverage?) -> Bool {
        var new = behaviours.insert(Behaviour.key(result, compareOutput: compareOutput)).inserted
        for line in coverage?.lines ?? [] where lines.insert(line).inserted { new = true }
        for branch in coverage?.branches ?? [] where branches.insert(branch).inserted { new = true }
        return new
    }

    /// Whether `coverage` reaches a line or decision outcome not seen yet.
    func reaches(_ coverage: CaseCoverage?) -> Bool {
        guard let coverage else { return false }
        return coverage.lines.contains { !lines.contains($0) } || coverage.branches.contains { !branches.contains($0) }
    }

    static func measure(_ sample: SampleRecord, _ cases: [TestCaseRecord], map: CoverageMap?, compareOutput: Bool, original: String) -> AdequacyRecord {
        let active = cases.filter(\.isActive)
        var tally = AdequacyTally(map: map, compareOutput: compareOutput)
        var normal = Set<String>()
        for testCase in active {
            let expected = Behaviour.expected(testCase)
            tally.add(expected, CaseCoverage.read(testCase.coverage))
            if expected.status == "ok" { normal.insert(Behaviour.key(expected, compareOutput: compareOutput)) }
        }
        return AdequacyRecord(
            sampleId: sample.id, modelCases: active.filter { $0.origin == "model" }.count,
            derivedCases: active.filter { $0.origin == "derived" }.count,
            normalCases: active.filter { $0.expectedStatus == "ok" }.count, raisedCases: active.filter { $0.expectedStatus == "raised" }.count,
            distinctOutputs: normal.count, linesCovered: tally.lines.count, linesTotal: map?.lines.count ?? 0,
            branchesCovered: tally.branches.count, branchesTotal: 2 * (map?.branches.count ?? 0), original: original)
    }
}
