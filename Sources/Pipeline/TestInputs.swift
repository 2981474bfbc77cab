// test inputs: before any model call, the original's parameters are typed (annotations, defaults, docstring, use
// in the body) and probed in the sandbox; then the model writes calls shaped by the signature and those kinds.
// Calls that do not bind or copy the prompt's examples are kept as dropped cases, never as tests.
import Constraints
import Foundation
import Store

struct TestInputsStage: Stage {
    let name = StageName.testInputs
    let batchSize = 8
    let batchesInFlight = 2

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        guard let runner = context.runner else { throw PipelineError.isolation("test-inputs needs a code runner to probe the original") }
        let start = DispatchTime.now()
        let settings = context.recipe.tests
        let analyses = try PythonTools.parameters(batch.map { ($0.code, $0.entryPoint) })
        let probes = try await parallelMap(Array(zip(batch, analyses)), workers: context.workers) { sample, analysis in
            try await ParameterProbe.run(sample, analysis, runner: runner)
        }
        var probed: [String: ParameterProbe] = [:]
        for (sample, probe) in zip(batch, probes) { probed[sample.id] = probe }
        let asked = batch.filter { probed[$0.id]?.rejection == nil }
        let prompts = context.recipe.prompts
        let examples = (prompts.testInputs.examples + prompts.methodTestInputs.examples + prompts.classTestInputs.examples).flatMap { $0.assistant.components(separatedBy: "\n") }
        let shown = try ModelView.of(asked)

        var usable: [String: [CallArguments]] = [:]
        var discarded: [String: [(CallArguments, String)]] = [:]
        let results = try await ModelAttempts.run(
            stage: name, batch: asked, context: context,
            messages: {
                Prompting.messages(prompts.testInputs(for: $0.entryPoint),
                                   fields: ["code": shown[$0.id] ?? $0.code, "entry": $0.entryPoint, "count": String(settings.count)], choice: $0.id)
            },
            constraint: { sample in probed[sample.id]?.grammar(entry: sample.entryPoint, lines: max(1, settings.count)) },
            parse: { sample, text, attempt in
                var kept = usable[sample.id] ?? []
                var dropped = discarded[sample.id] ?? []
                let known = Set(kept.map(\.literal) + dropped.map(\.0.literal))
                let fresh = try ResponseParsers.testInputs(in: text, entry: sample.entryPoint).filter { !known.contains($0.literal) }
                let problems = try PythonTools.checkCalls(code: sample.code, entry: sample.entryPoint, literals: fresh.map(\.literal),
                                                          examples: examples)
                for (arguments, problem) in zip(fresh, problems) {
                    if let problem {
                        dropped.append((arguments, "\(problem.reason): \(problem.detail)"))
                    } else if kept.count < settings.count {
                        kept.append(arguments)
                    }
                }
                usable[sample.id] = kept
                discarded[sample.id] = dropped
                // Derived inputs top the set up later: one more attempt, not every one, for a set at its minimum.
                if kept.count >= settings.count || (attempt >= 1 && kept.count >= settings.minimum) { return .done(kept) }
                return .retry(reason: .tooFewInputs, detail: tooFew(kept.count, dropped, minimum: settings.minimum))
            })
        let seconds = elapsed(since: start) / Double(max(1, batch.count))
        return batch.map { sample in
            let probe = probed[sample.id]!
            if let (reason, detail) = probe.rejection {
                return StageCommit(outcome: reject(sample, reason, detail, evidence: probe.record(sample).calls, seconds: seconds),
                                   executions: probe.executions)
            }
            let (result, calls) = results[sample.id]!
            let kept = usable[sample.id] ?? []
            let dropped = discarded[sample.id] ?? []
            var cases = kept.enumerated().map {
                TestCaseRecord(sampleId: sample.id, index: $0.offset, arguments: $0.element.display, literal: $0.element.literal)
            }
            for (offset, (arguments, why)) in dropped.enumerated() {
                var testCase = TestCaseRecord(sampleId: sample.id, index: kept.count + offset, arguments: arguments.display, literal: arguments.literal)
                testCase.dropped = why
                cases.append(testCase)
            }
            // One working input is enough to go on: augment grows the set, and its adequacy (normal returns, distinct
            // outputs, mutants told apart) is judged there, on what the original answered.
            if !kept.isEmpty {
                return StageCommit(outcome: keep(sample, seconds: seconds), modelCalls: calls, testCases: cases,
                                   executions: probe.executions, probe: probe.record(sample))
            }
            // No usable input, or a request the generator could not run.
            var (reason, detail): (RejectionReason, String) = (.tooFewInputs, tooFew(kept.count, dropped, minimum: 1))
            if case let .retry(lastReason, lastDetail) = result, lastReason != reason { (reason, detail) = (lastReason, lastDetail) }
            return StageCommit(outcome: reject(sample, reason, detail, evidence: calls.last?.output, seconds: seconds),
                               modelCalls: calls, testCases: cases, executions: probe.executions, probe: probe.record(sample))
        }
    }

    func tooFew(_ kept: Int, _ dropped: [(CallArguments, String)], minimum: Int) -> String {
        var detail = "\(kept) distinct usable inputs; the minimum is \(minimum)"
        var reasons: [String: Int] = [:]
        for (_, why) in dropped { reasons[String(why.prefix { $0 != ":" }), default: 0] += 1 }
        if !reasons.isEmpty {
            detail += " (discarded: " + reasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
        }
        return detail
    }
}

/// One probe call of the original and how it ended (`ok ...`, `raised TypeError: ...`).
public struct ProbeOutcome: Codable, Sendable, Equatable {
    public var display: String
    public var literal: String
    /// (parameter, kind) pairs the call tries.
    public var labels: [[String]]
    public var outcome: String
}

/// The parameters of an entry point with the kinds the original accepts, found by calling it with small values
/// of each plausible kind. Code that cannot even import what it needs is rejected here, before any model call.
struct ParameterProbe: Sendable {

    var parameters: [ParameterInfo] = []
    /// function, static, class, instance or whole-class, and a whole class's public methods (known while test inputs
    /// are written, not stored).
    var kind: String?
    var methods: [String] = []
    var coverage: CoverageMap?
    var constants: [LiteralConstant] = []
    var calls: [ProbeOutcome] = []
    var executions: [ExecutionRecord] = []
    var rejection: (reason: RejectionReason, detail: String)?

    static func run(_ sample: SampleRecord, _ analysis: ParameterAnalysis?, runner: any CodeRunner) async throws -> ParameterProbe {
        var probe = ParameterProbe()
        guard let analysis else {
            probe.rejection = (.entryPointMissing, "no top-level function '\(sample.entryPoint)'")
            return probe
        }
        if let failed = analysis.failed {
            probe.rejection = (.analysisFailed, "the static analysis cannot read this code: \(failed)")
            return probe
        }
        probe.parameters = analysis.parameters
        probe.kind = analysis.kind
        probe.methods = analysis.methods ?? []
        probe.coverage = analysis.coverage
        probe.constants = analysis.constants
        // Probes too stop at half the budget: a call slower than that could not become a test. Settled, as the
        // original's runs are: a busy moment of the machine must not decide which kinds a parameter takes.
        let results = try await runner.runSettled(CodeRun(code: sample.code, entry: sample.entryPoint, literals: analysis.probes.map(\.literal),
                                                   budgetScale: OriginalRuns.firstRunScale))
        probe.executions = records(sample, "probe", results, indices: Array(results.indices))
        var accepted: [String: [String]] = [:]
        for (call, result) in zip(analysis.probes, results) {
            probe.calls.append(ProbeOutcome(display: call.display, literal: call.literal, labels: call.labels, outcome: summary(result)))
            // A kind is accepted unless the call fails on the argument's kind itself.
            let refused = result.status != "ok" && (result.status != "raised" || AugmentStage.kindErrors.contains(result.exceptionType ?? ""))
            for label in call.labels where label.count == 2 && !refused {
                if !(accepted[label[0]]?.contains(label[1]) ?? false) { accepted[label[0], default: []].append(label[1]) }
            }
        }
        for index in probe.parameters.indices {
            let label = probe.parameters[index].probeLabel
            let probedKinds = Set(analysis.probes.flatMap(\.labels).filter { $0.first == label }.map { $0[1] })
            guard !probedKinds.isEmpty else { continue }
            probe.parameters[index].accepted = accepted[label] ?? []
        }
        let missing = results.filter { ["ModuleNotFoundError", "ImportError"].contains($0.exceptionType ?? "") }
        if !results.isEmpty && missing.count == results.count {
            probe.rejection = (.missingDependency, "the code cannot import what it needs in the sandbox: \(missing[0].error ?? "")")
        } else if !ParameterInfo.constructorOnlyVariadic(probe.parameters), let failure = unbuildable(results) {
            probe.rejection = (.objectCannotBeBuilt, "no constructor call tried builds the object from literals, so no test can: \(failure)")
        }
        return probe
    }

    /// Errors that no other literal would avoid: an argument of a kind no literal has (a callable, a file, an
    /// instance, a metaclass's name), and the RuntimeError of a class that must be subclassed (the standard library's
    /// way, as in `_markupbase.ParserBase`). A ValueError may be a value the model knows.
    static let constructionKindErrors: Set<String> = AugmentStage.kindErrors.union(["RuntimeError"])

    /// The first construction error when every probe call failed to build its object with such an error, else nil.
    static func unbuildable(_ results: [CaseResult]) -> String? {
        guard !results.isEmpty, results.allSatisfy({ result in
            let error = result.error ?? ""
            return result.status == "bad-call" && error.contains("the object could not be built")
                && constructionKindErrors.contains(String(error.prefix { $0 != ":" }))
        }) else { return nil }
        return results[0].error ?? ""
    }

    /// The signature and kinds for the model's call grammar: accepted kinds when probing found any, else the
    /// inferred ones; a parameter that takes every kind tried, or only None, takes any literal.
    var callParameters: [CallParameter] { Self.callParameters(parameters.filter { $0.role == nil }) }

    /// The model's call lines: calls of the entry point that bind to its parameters, on its class or object; a whole
    /// class's calls of its public methods on one object.
    func grammar(entry: String, lines: Int) -> Grammar? {
        let point = EntryPoint(entry)
        if point.isClass {
            let methods = self.methods.map { method in
                (name: method, parameters: Self.callParameters(parameters.filter { $0.role == "method" && $0.method == method }))
            }
            return try? BuiltInConstraints.objectCallLines(owner: point.name, constructor: Self.callParameters(parameters.filter { $0.role == "init" }),
                                                          methods: methods, minLines: lines, maxLines: lines)
        }
        return try? BuiltInConstraints.callLines(function: point.name, parameters: callParameters, receiver: receiver(entry: entry),
                                                 minLines: lines, maxLines: lines)
    }

    /// What the calls are made on: a method's class, or an object its constructor builds; nil for a function.
    func receiver(entry: String) -> CallReceiver? {
        guard let owner = EntryPoint(entry).owner else { return nil }
        if kind == "instance" { return .object(owner, constructor: Self.callParameters(parameters.filter { $0.role == "init" })) }
        return .type(owner)
    }

    static func callParameters(_ parameters: [ParameterInfo]) -> [CallParameter] {
        parameters.compactMap { parameter in
            guard let kind = CallParameter.Kind(rawValue: parameter.kind) else { return nil }
            var kinds = parameter.accepted.map { accepted in
                parameter.kinds.filter(accepted.contains) + accepted.filter { !parameter.kinds.contains($0) }
            } ?? parameter.kinds
            let triedAll = Set(kinds).isSuperset(of: ["int", "str", "list", "float", "dict", "bool"])
            if triedAll || kinds == ["none"] { kinds = [] }
            return CallParameter(name: parameter.name, kind: kind, hasDefault: parameter.default != nil, valueKinds: kinds,
                                 element: parameter.element)
        }
    }

    func record(_ sample: SampleRecord) -> ProbeRecord {
        ProbeRecord(sampleId: sample.id, parameters: jsonText(parameters), coverageMap: coverage.map { jsonText($0) }, calls: jsonText(calls),
                    constants: jsonText(constants))
    }

    /// Reads back what the test-inputs stage stored.
    static func stored(_ record: ProbeRecord?) -> ParameterProbe {
        var probe = ParameterProbe()
        guard let record else { return probe }
        let decoder = JSONDecoder()
        probe.parameters = (try? decoder.decode([ParameterInfo].self, from: Data(record.parameters.utf8))) ?? []
        probe.coverage = record.coverageMap.flatMap { try? decoder.decode(CoverageMap.self, from: Data($0.utf8)) }
        probe.calls = (try? decoder.decode([ProbeOutcome].self, from: Data(record.calls.utf8))) ?? []
        probe.constants = (try? decoder.decode([LiteralConstant].self, from: Data(record.constants.utf8))) ?? []
        return probe
    }
}
