// What the original does on a list of inputs, settled so that only behaviour that belongs to the code becomes a
// test: the extracted code in two environments, the function inside its module, and a traced run for coverage.
import Foundation
import Store

/// The original's behaviour on one input, or why the input cannot be a test.
struct ObservedCase: Sendable {
    var result: CaseResult?
    var drop: String?
    var coverage: CaseCoverage?
}

struct Observation: Sendable {
    var cases: [ObservedCase]
    var executions: [ExecutionRecord]
    /// The first input on which the function behaves differently inside its module than as extracted.
    var extraction: ExtractionDifference?
    /// `module` when the extracted code was checked against the function in its module, else `snippet: why not`.
    var original: String
}

struct ExtractionDifference: Codable, Sendable {
    var input: String
    var extracted: String
    var inModule: String
    var difference: String
}

extension Stage {
    /// The extracted code lost something its module gives the function: the sample cannot be trusted.
    func reject(_ sample: SampleRecord, _ difference: ExtractionDifference, seconds: Double) -> OutcomeRecord {
        reject(sample, .extractionIncomplete,
               "on (\(difference.input)) the function in its module \(difference.inModule), the extracted code \(difference.extracted)",
               evidence: jsonText(difference), seconds: seconds)
    }
}

enum OriginalRuns {
    /// Runs the original on `literals` (the cases numbered `indices`, shown as `displays`):
    /// 1. the extracted code, environment 0, stopped at half the CPU budget: the expected behaviour; timeouts, calls
    ///    that do not bind, crashes and calls that use more than half the CPU budget (too close to it to give the same
    ///    answer on a busy machine) are dropped; a call cut by the wall clock (not its CPU budget) is tried once more;
    /// 2. the same in environment 1 (hash seed, directory, time zone, host, descriptors): what changes is dropped,
    ///    and so is a value that holds text only this machine would write (the interpreter's version);
    /// 3. the function inside its module, when it has one: a difference means the extraction lost something (a
    ///    module that does not load, or a run that ends without an answer, leaves the extracted code to stand);
    /// 4. a traced run of the extracted code, with room for the tracer's cost: the lines and decisions each input
    ///    reaches.
    /// Every run tries a call cut by the wall clock (not its CPU budget) once more.
    static func observe(_ sample: SampleRecord, literals: [String], indices: [Int], displays: [String], map: CoverageMap?,
                        runner: any CodeRunner, compareOutput: Bool) async throws -> Observation {
        var cases = [ObservedCase](repeating: ObservedCase(), count: literals.count)
        var executions: [ExecutionRecord] = []
        func record(_ run: String, _ results: [CaseResult], _ positions: [Int]) {
            executions += records(sample, run, results, indices: positions.map { indices[$0] })
        }
        func run(_ positions: [Int], environment: Int = 0, module: ModuleLocation? = nil, traceAfter: [CaseResult]? = nil,
                 budgetScale: Double = 1) async throws -> [CaseResult] {
            guard !positions.isEmpty else { return [] }
            let scale = traceAfter.map { CodeRun.tracedScale(forCallsOf: $0.map(\.cpuSeconds).max() ?? 0, budget: runner.budgetSeconds) } ?? budgetScale
            return try await runner.runSettled(CodeRun(code: sample.code, entry: sample.entryPoint, literals: positions.map { literals[$0] },
                                                       environment: environment, module: module, trace: traceAfter != nil,
                                                       budgetScale: scale))
        }

        // 1. The expected behaviour, settled against the CPU budget. A call past half the budget is dropped as too slow
        // to judge whatever it does next, so it is stopped there: an endless loop costs half the budget, not all of it.
        let first = try await run(Array(literals.indices), budgetScale: Self.firstRunScale)
        record("original", first, Array(literals.indices))
        var usable: [Int] = []
        for (position, result) in first.enumerated() {
            if let drop = settle(result, budget: runner.budgetSeconds) { cases[position].drop = drop } else {
                cases[position].result = result
                usable.append(position)
            }
        }

        // 2. The other environment, and facts of this machine.
        let second = try await run(usable, environment: 1)
        record("original-env-2", second, usable)
        for (position, other) in zip(usable, second) {
            if let difference = Behaviour.difference(expected: first[position], actual: other, runner: runner, compareOutput: compareOutput) {
                cases[position].drop = "nondeterministic: \(difference) in another environment"
            } else if let fact = Behaviour.environmentFact(in: first[position], facts: runner.environmentFacts) {
                cases[position].drop = "environment-fact: the result holds '\(fact)', which comes from this machine, not the code"
            }
        }
        usable = usable.filter { cases[$0].drop == nil }

        // 3. The function as it really runs, inside its module.
        var original = "snippet: the code did not come from a module file"
        var extraction: ExtractionDifference?
        if let name = sample.moduleName {
            // The extracted code runs as `__solution__`: the module's own classes are named after it here too.
            let inModule = try await run(usable, module: ModuleLocation(name: name, root: sample.moduleRoot))
                .map { renamed($0, module: name) }
            record("original-module", inModule, usable)
            let answered = zip(usable, inModule).filter { ["ok", "raised"].contains($0.1.status) }
            let failures = Set(inModule.map { $0.status == "raised" ? $0.exceptionType ?? "" : "" })
            if answered.isEmpty {
                original = "snippet: the module run gave no answer (\(inModule.first.map(summary) ?? "no input"))"
            } else if failures.count == 1, let failure = failures.first, !failure.isEmpty,
                      !usable.contains(where: { first[$0].exceptionType == failure }) {
                // The same exception on every input where the extracted code answers otherwise: the module does not load here.
                original = "snippet: module \(name) does not load in the sandbox (\(Behaviour.short(inModule[0].error ?? "", limit: 200)))"
            } else {
                original = "module"
                for (position, result) in answered {
                    if let difference = Behaviour.difference(expected: result, actual: first[position], runner: runner, compareOutput: compareOutput) {
                        extraction = ExtractionDifference(input: displays[position], extracted: summary(first[position]),
                                                          inModule: summary(result), difference: difference)
                        break
                    }
                }
            }
        }

        // 4. Coverage: which lines and decisions of the entry point each input reaches.
        if let map, extraction == nil {
            let traced = try await run(usable, traceAfter: usable.map { first[$0] })
            for (position, result) in zip(usable, traced) where result.lines != nil {
                cases[position].coverage = CaseCoverage(map: map, lines: result.lines ?? [], arcs: result.arcs ?? [])
            }
        }
        return Observation(cases: cases, executions: executions, extraction: extraction, original: original)
    }

    /// A module run's result with the module's name in type names read as the extracted code's `__solution__`.
    static func renamed(_ result: CaseResult, module: String) -> CaseResult {
        var result = result
        func rename(_ text: String?) -> String? {
            text?.replacingOccurrences(of: "\"object\":\"\(module).", with: "\"object\":\"__solution__.")
        }
        result.value = rename(result.value)
        result.argumentsAfter = rename(result.argumentsAfter)
        if let error = result.error, error.hasPrefix(module + ".") { result.error = "__solution__." + error.dropFirst(module.count + 1) }
        return result
    }

    /// The share of the CPU budget the original's first run of each input may use: past it the case is too slow to
    /// judge (`settle`).
    static let firstRunScale = 0.5

    /// Why a first run cannot define a test, or nil when it can.
    static func settle(_ result: CaseResult, budget: Double) -> String? {
        switch result.status {
        case "ok", "raised":
            if result.cpuSeconds > budget * firstRunScale {
                return "slow: \(String(format: "%.2f", result.cpuSeconds)) s of CPU, over half the budget of \(budget) s"
            }
            return nil
        case "bad-call":
            return "does-not-bind: \(result.error ?? "")"
        default:
            return "\(result.status): \(result.error ?? "")"
        }
    }
}
