// augment: more inputs without the model. From inputs that work (the model's and the probes'), boundary values,
// values built from the code's own constants and small changes of one argument at a time are tried on the
// original. The ones kept are those that tell mutants of the original (one small change each: an operator, a
// bound, a dropped call) from it, then those that reach new lines or decisions, take a new path or give a new
// output, then those with the outputs the set holds fewest of. Then the set's adequacy is measured and a
// degenerate set is rejected.
import Foundation
import Store

struct AugmentStage: Stage {
    let name = StageName.augment
    var batchSize: Int { 16 }

    /// Candidates each mutant runs on, besides the model's inputs (each call costs a few milliseconds of sandbox).
    static let mutantPool = 24

    /// Sequences of two calls on one object among the candidates, so boundary values keep their room.
    static let sequenceLimit = 8

    /// Exceptions that say an argument was of the wrong kind: behaviour of the input, not of the function.
    static let kindErrors: Set<String> = ["TypeError", "AttributeError"]

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
            let model = cases.filter(\.isActive)
            let candidates = try Self.candidates(cases, probe: probe, limit: recipe.tests.candidates, entry: sample.entryPoint)

            // Tried on the original (traced, with room for the tracer); those it answers inside the function form the
            // pool. Whether one is too slow to judge is settled later, untraced, for the few that are kept.
            var executions: [ExecutionRecord] = []
            var pool: [Candidate] = []
            if !candidates.isEmpty, recipe.tests.derived > 0 {
                // Candidates are small changes of the model's inputs: they get the room those needed, traced.
                let traced = probe.coverage != nil
                let needed = model.compactMap(\.cpuSeconds).max() ?? 0
                let scale = traced ? CodeRun.tracedScale(forCallsOf: needed, budget: runner.budgetSeconds) : 1
                let tried = try await runner.runSettled(CodeRun(code: sample.code, entry: sample.entryPoint, literals: candidates.map(\.literal),
                                                                trace: traced, budgetScale: scale))
                executions += records(sample, "candidate", tried, indices: Array(tried.indices))
                pool = zip(candidates, tried).filter { _, result in Self.answers(result, expectExceptions: recipe.verify.expectExceptions) }.map { input, result in
                    Candidate(input: input, result: result,
                              coverage: probe.coverage.map { CaseCoverage(map: $0, lines: result.lines ?? [], arcs: result.arcs ?? []) })
                }
            }
            let mutants = try PythonTools.mutants(code: sample.code, entry: sample.entryPoint, limit: recipe.tests.mutants)
            // Mutants run on the model's inputs and the first candidates (boundary values of every argument come first).
            let kills = try await MutantKills.measure(sample, mutants: mutants, model: model, pool: Array(pool.prefix(Self.mutantPool)),
                                                      runner: runner, compareOutput: recipe.verify.compareOutput)
            let chosen = Self.choose(pool, model: model, kills: kills, map: probe.coverage, recipe: recipe)

            // The chosen inputs are settled like the model's: two environments, the module, coverage.
            let firstIndex = (cases.map(\.index).max() ?? -1) + 1
            var additions = chosen.enumerated().map { offset, candidate in
                TestCaseRecord(sampleId: sample.id, index: firstIndex + offset, arguments: candidate.input.display,
                               literal: candidate.input.literal, origin: "derived", derivation: candidate.input.how)
            }
            let observation = try await OriginalRuns.observe(
                sample, literals: chosen.map(\.input.literal), indices: additions.map(\.index), displays: chosen.map(\.input.display),
                map: probe.coverage, runner: runner, compareOutput: recipe.verify.compareOutput)
            executions += observation.executions
            for (position, observed) in observation.cases.enumerated() {
                if let result = observed.result, observed.drop == nil, Self.answers(result, expectExceptions: recipe.verify.expectExceptions) {
                    Behaviour.setExpected(&additions[position], result)
                    additions[position].coverage = observed.coverage?.json
                } else {
                    additions[position].dropped = observed.drop ?? "raised: \(observed.result.map(summary) ?? "no result"), not behaviour to test"
                }
            }
            cases += additions
            let seconds = elapsed(since: start)
            if let difference = observation.extraction {
                return StageCommit(outcome: stage.reject(sample, difference, seconds: seconds), testCases: cases, executions: executions)
            }

            var adequacy = AdequacyTally.measure(sample, cases, map: probe.coverage, compareOutput: recipe.verify.compareOutput, original: original)
            kills.score(&adequacy, kept: Set(cases.filter(\.isActive).map(\.literal)))
            let evidence = jsonText(adequacy)
            if let (reason, detail) = Self.problem(adequacy, recipe.tests) {
                return StageCommit(outcome: stage.reject(sample, reason, detail, evidence: evidence, seconds: seconds),
                                   testCases: cases, executions: executions, adequacy: adequacy)
            }
            return StageCommit(outcome: stage.keep(sample, seconds: seconds, evidence: evidence), testCases: cases,
                               executions: executions, adequacy: adequacy)
        }
    }

    /// Whether a derived input's result can be a test: a return, or an exception raised inside the function
    /// (where the recipe expects exceptions) that is not about an argument's kind.
    static func answers(_ result: CaseResult, expectExceptions: Bool) -> Bool {
        result.status == "ok" || (result.status == "raised" && expectExceptions && !kindErrors.contains(result.exceptionType ?? ""))
    }

    struct Candidate: Sendable {
        var input: DerivedInput
        var result: CaseResult
        var coverage: CaseCoverage?
    }

    /// Probe calls that returned or raised inside the function (not on an argument's kind), then two calls on one
    /// object where a call changed it (a whole class: two working calls of different methods), then changes of every
    /// working input; none the test set already holds.
    static func candidates(_ cases: [TestCaseRecord], probe: ParameterProbe, limit: Int, entry: String) throws -> [DerivedInput] {
        let known = Set(cases.map(\.literal))
        let seeds = cases.filter { $0.isActive && $0.expectedStatus == "ok" }.map(\.literal)
            + probe.calls.filter { $0.outcome.hasPrefix("ok") }.map(\.literal)
        let usefulProbes = probe.calls.filter { call in
            call.outcome.hasPrefix("ok") || (call.outcome.hasPrefix("raised") && !kindErrors.contains { call.outcome.hasPrefix("raised \($0)") })
        }
        var candidates = usefulProbes.filter { !known.contains($0.literal) }
            .map { DerivedInput(display: $0.display, literal: $0.literal, how: "probe: " + $0.labels.map { "\($0[0]) as \($0[1])" }.joined(separator: ", ")) }
        var taken = Set(candidates.map(\.literal)).union(known)
        // An instance method whose call changed its object: that call, then another, on one object.
        let objectCalls = cases.filter { $0.isActive && $0.origin == "model" && $0.literal.contains("'init':") }
        let changing = objectCalls.filter { $0.mutates == true && $0.expectedStatus == "ok" }.map(\.literal)
        if EntryPoint(entry).isClass {
            // A whole class: working calls of different methods on equal objects, one after the other.
            for input in try PythonTools.sequences(changing: [], seeds: seeds, entry: entry, limit: limit) where !taken.contains(input.literal) {
                candidates.append(input)
                taken.insert(input.literal)
            }
        } else if !changing.isEmpty {
            for input in try PythonTools.sequences(changing: changing, seeds: objectCalls.map(\.literal), entry: entry, limit: sequenceLimit)
            where !taken.contains(input.literal) {
                candidates.append(input)
                taken.insert(input.literal)
            }
        }
        for input in try PythonTools.derive(seeds: seeds, parameters: probe.parameters, constants: probe.constants, limit: limit,
                                            entry: entry)
        where !taken.contains(input.literal) {
            candidates.append(input)
            taken.insert(input.literal)
        }
        return Array(candidates.prefix(max(0, limit)))
    }

    /// Up to `tests.derived` inputs of the pool: each next one tells the most mutants not yet told apart; then
    /// those reaching new lines or decision outcomes (an exception only there, such as a `raise` branch); then
    /// those taking a new path; then those with a new output; then, for the slots left, inputs with the outputs
    /// the set holds fewest of.
    static func choose(_ pool: [Candidate], model: [TestCaseRecord], kills: MutantKills, map: CoverageMap?, recipe: Recipe) -> [Candidate] {
        let limit = max(0, recipe.tests.derived)
        var chosen: [Int] = []
        var killed = kills.killed(by: Set(model.map(\.literal)))
        while chosen.count < limit {
            let gains = pool.indices.filter { !chosen.contains($0) }.map { ($0, kills.mutants(killedBy: pool[$0].input.literal).subtracting(killed).count) }
            guard let best = gains.max(by: { ($0.1, $1.0) < ($1.1, $0.0) }), best.1 > 0 else { break }
            chosen.append(best.0)
            killed.formUnion(kills.mutants(killedBy: pool[best.0].input.literal))
        }
        var seen = AdequacyTally(map: map, compareOutput: recipe.verify.compareOutput)
        for testCase in model { seen.add(Behaviour.expected(testCase), CaseCoverage.read(testCase.coverage)) }
        for index in chosen { seen.add(pool[index].result, pool[index].coverage) }
        for index in pool.indices where chosen.count < limit && !chosen.contains(index) && seen.reaches(pool[index].coverage) {
            seen.add(pool[index].result, pool[index].coverage)
            chosen.append(index)
        }
        // A new path: lines and decision outcomes already seen, but not together (an empty loop, an early return).
        for index in pool.indices where chosen.count < limit && !chosen.contains(index) && pool[index].result.status == "ok"
            && seen.takesNewPath(pool[index].coverage) {
            seen.add(pool[index].result, pool[index].coverage)
            chosen.append(index)
        }
        for index in pool.indices where chosen.count < limit && !chosen.contains(index) && pool[index].result.status == "ok" {
            if seen.add(pool[index].result, pool[index].coverage) { chosen.append(index) }
        }
        // The rest goes to the outputs the set holds fewest of, so a rare answer is not pinned by one input only.
        var counts: [String: Int] = [:]
        for testCase in model where testCase.expectedStatus == "ok" {
            counts[Behaviour.key(Behaviour.expected(testCase), compareOutput: recipe.verify.compareOutput), default: 0] += 1
        }
        for index in chosen where pool[index].result.status == "ok" {
            counts[Behaviour.key(pool[index].result, compareOutput: recipe.verify.compareOutput), default: 0] += 1
        }
        while chosen.count < limit {
            let open = pool.indices.filter { !chosen.contains($0) && pool[$0].result.status == "ok" }
            guard let next = open.min(by: { a, b in
                let ka = counts[Behaviour.key(pool[a].result, compareOutput: recipe.verify.compareOutput)] ?? 0
                let kb = counts[Behaviour.key(pool[b].result, compareOutput: recipe.verify.compareOutput)] ?? 0
                return (ka, a) < (kb, b)
            }) else { break }
            chosen.append(next)
            counts[Behaviour.key(pool[next].result, compareOutput: recipe.verify.compareOutput), default: 0] += 1
        }
        return chosen.sorted().map { pool[$0] }
    }

    /// Why a test set cannot tell a right rewrite from a wrong one, or nil when it can.
    static func problem(_ adequacy: AdequacyRecord, _ settings: Recipe.TestSettings) -> (RejectionReason, String)? {
        let counts = "\(adequacy.modelCases) model and \(adequacy.derivedCases) derived inputs"
        if adequacy.normalCases < settings.minimum {
            return (.tooFewNormalReturns, "\(adequacy.normalCases) inputs return normally (\(counts)); the minimum is \(settings.minimum)")
        }
        if adequacy.distinctOutputs < settings.minDistinctOutputs {
            return (.degenerateTests, "\(adequacy.distinctOutputs) distinct normal output(s) from \(counts); "
                    + "the minimum is \(settings.minDistinctOutputs), even after augmentation")
        }
        if let coverage = adequacy.lineCoverage, coverage < settings.minLineCoverage {
            return (.lowCoverage, "the tests run \(adequacy.linesCovered) of \(adequacy.linesTotal) lines "
                    + "(\(Int((coverage * 100).rounded()))%); the minimum is \(Int((settings.minLineCoverage * 100).rounded()))%")
        }
        if let score = adequacy.mutationScore, score < settings.minMutationScore {
            return (.weakTests, "the tests tell \(adequacy.mutantsKilled) of \(adequacy.mutants) mutants from the original "
                    + "(\(Int((score * 100).rounded()))%); the minimum is \(Int((settings.minMutationScore * 100).rounded()))%")
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
    /// Each case's lines and decision outcomes as one set: a path, as far as line tracing tells paths apart.
    var paths = Set<CaseCoverage>()

    init(map: CoverageMap?, compareOutput: Bool) {
        self.map = map; self.compareOutput = compareOutput
    }

    /// Adds one case; true when it reached a line or decision outcome, or behaved in a way, not seen before.
    @discardableResult
    mutating func add(_ result: CaseResult, _ coverage: CaseCoverage?) -> Bool {
        var new = behaviours.insert(Behaviour.key(result, compareOutput: compareOutput)).inserted
        for line in coverage?.lines ?? [] where lines.insert(line).inserted { new = true }
        for branch in coverage?.branches ?? [] where branches.insert(branch).inserted { new = true }
        if let coverage { paths.insert(coverage) }
        return new
    }

    /// Whether `coverage` is a combination of lines and decision outcomes no case has taken yet.
    func takesNewPath(_ coverage: CaseCoverage?) -> Bool {
        guard let coverage else { return false }
        return !paths.contains(coverage)
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
