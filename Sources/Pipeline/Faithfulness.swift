// faithfulness: back-translation. The model, shown only the instruction and the signature (never the original or
// the rewrite), writes the function; it runs on the cases the instruction does not show as examples, and the share
// it gets right is the instruction's faithfulness. One greedy answer per instruction, so the score measures the
// instruction, not luck. With `instruction.candidates` above 1, more instructions are sampled (each must pass the
// claim checks) and the best-scoring one is kept. Below the recipe's minimum the sample is rejected.
import Constraints
import Foundation
import Store

struct FaithfulnessStage: Stage {
    let name = StageName.faithfulness
    let batchSize = 8
    let batchesInFlight = 2

    struct Candidate: Codable, Sendable { var instruction: String; var score: Double; var claims: [ClaimCheck] }

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let settings = context.recipe.instruction
        guard settings.backTranslate, let runner = context.runner, let generator = context.generator else {
            return batch.map { StageCommit(outcome: keep($0)) }
        }
        let start = DispatchTime.now()
        var rewrites: [String: RewriteRecord] = [:], heldBack: [String: [TestCaseRecord]] = [:]
        var candidates: [String: [Candidate]] = [:], calls: [String: [ModelCallRecord]] = [:]
        for sample in batch {
            guard let rewrite = try context.store.rewrite(of: sample.id) else { continue }
            rewrites[sample.id] = rewrite
            let shown = Set(InstructionExamples.of(rewrite)?.cases ?? [])
            let verified = try context.store.testCases(of: sample.id).filter { $0.isActive && $0.passed == true }
            let unseen = verified.filter { !shown.contains($0.index) }
            heldBack[sample.id] = unseen.isEmpty ? verified : unseen
            let claims = rewrite.claims.flatMap { try? JSONDecoder().decode([ClaimCheck].self, from: Data($0.utf8)) } ?? []
            candidates[sample.id] = [Candidate(instruction: InstructionExamples.withoutExamples(rewrite), score: 0, claims: claims)]
        }
        let samples = batch.filter { rewrites[$0.id] != nil }
        // A method is written into its class: the class without it, from the rewrite.
        let contexts = try ModelView.of(samples, code: { rewrites[$0.id]!.code }, withoutEntry: true)
        try await moreCandidates(samples, rewrites: rewrites, candidates: &candidates, calls: &calls, context: context)

        // Every candidate of every sample back-translated in one batch, greedy.
        let constrained = context.recipe.sampling.constrain && generator.supportsConstraints
        var requests: [(sample: SampleRecord, index: Int, request: ChatRequest)] = []
        for sample in samples {
            let rewrite = rewrites[sample.id]!
            let examples = InstructionExamples.of(rewrite)?.text ?? ""
            for (index, candidate) in (candidates[sample.id] ?? []).enumerated() {
                let messages = Prompting.messages(context.recipe.prompts.backTranslate(for: sample.entryPoint), fields: [
                    "instruction": candidate.instruction + examples, "entry": sample.entryPoint,
                    "signature": Self.signature(of: sample.entryPoint, in: rewrite.code),
                    "context": (contexts[sample.id] ?? "").trimmingCharacters(in: .newlines),
                ])
                let seed = Prompting.seed(run: context.recipe.sampling.seed, sample: sample.id, stage: name.rawValue, attempt: index)
                requests.append((sample, index, Prompting.request(messages, sampling: context.recipe.sampling, seed: seed, attempt: 0,
                                                                  constraint: constrained ? BuiltInConstraints.fencedPython : nil,
                                                                  maxTokens: Prompting.codeAnswerTokens(sample, sampling: context.recipe.sampling))))
            }
        }
        let outputs = requests.isEmpty ? [] : try await generator.generate(requests.map(\.request))
        guard outputs.count == requests.count else { throw PipelineError.model("generator answered \(outputs.count) of \(requests.count) requests") }
        var records: [String: [FaithfulnessRecord]] = [:]
        for (asked, output) in zip(requests, outputs) {
            let sample = asked.sample, cases = heldBack[sample.id] ?? []
            calls[sample.id, default: []].append(ModelCallRecord(
                sampleId: sample.id, stage: name.rawValue, attempt: asked.index, prompt: jsonText(asked.request.messages), output: output.text,
                promptTokens: output.promptTokens, completionTokens: output.completionTokens, seconds: output.seconds))
            var record: FaithfulnessRecord
            if let failure = output.failure {
                record = FaithfulnessRecord(sampleId: sample.id, code: "", passed: 0, total: cases.count, detail: "generation-failed: \(failure)")
            } else if let code = ResponseParsers.code(in: output.text, entry: EntryPoint(sample.entryPoint).parsedName) {
                // The signature's annotations need the rewrite's imports (`List`); they say nothing about behaviour.
                let completed = try PythonTools.reattach([(rewrites[sample.id]!.code, code, sample.entryPoint)])[0]
                let (passed, difference) = try await RewriteStage.reproduces(completed, sample: sample, cases: cases, runner: runner,
                                                                             compareOutput: context.recipe.verify.compareOutput)
                record = FaithfulnessRecord(sampleId: sample.id, code: completed, passed: passed, total: cases.count, detail: difference)
            } else {
                record = FaithfulnessRecord(sampleId: sample.id, code: "", passed: 0, total: cases.count, detail: "the answer holds no code")
            }
            candidates[sample.id]![asked.index].score = record.score
            records[sample.id, default: []].append(record)
        }
        let seconds = elapsed(since: start) / Double(max(1, batch.count))

        return batch.map { sample in
            guard var rewrite = rewrites[sample.id], let scored = records[sample.id], let pool = candidates[sample.id] else {
                return StageCommit(outcome: reject(sample, .noRewrite, "verify kept it, but no rewrite is stored", seconds: seconds))
            }
            // The best-scoring instruction; the first (the instruct stage's) wins a tie.
            let best = scored.indices.max { (scored[$0].score, -$0) < (scored[$1].score, -$1) }!
            var record = scored[best]
            if pool.count > 1 { record.candidates = jsonText(pool) }
            if best > 0 {
                rewrite.instruction = pool[best].instruction + (InstructionExamples.of(rewrite)?.text ?? "")
                rewrite.claims = jsonText(pool[best].claims)
            }
            let outcome = record.score + 1e-9 < settings.minFaithfulness
                ? reject(sample, .unfaithfulInstruction,
                         "from the instruction alone the model's code is right on \(record.passed) of \(record.total) held-back cases (minimum \(settings.minFaithfulness)); \(record.detail ?? "")",
                         evidence: record.code, seconds: seconds)
                : keep(sample, seconds: seconds)
            return StageCommit(outcome: outcome, modelCalls: calls[sample.id] ?? [], rewrite: best > 0 ? rewrite : nil, faithfulness: record)
        }
    }

    /// Samples `candidates - 1` more instructions per sample with the instruct prompt (sampled, answer c with seed + c);
    /// those whose claims hold join the candidates.
    func moreCandidates(_ samples: [SampleRecord], rewrites: [String: RewriteRecord], candidates: inout [String: [Candidate]],
                        calls: inout [String: [ModelCallRecord]], context: StageContext) async throws {
        let settings = context.recipe.instruction, sampling = context.recipe.sampling
        let asked = samples.filter { $0.givenInstruction == nil }
        guard settings.candidates > 1, let generator = context.generator, !asked.isEmpty else { return }
        let analyses = try PythonTools.analyze(asked.map { ($0.code, $0.entryPoint) })
        let constrained = sampling.constrain && generator.supportsConstraints
        let copied = InstructStage.copiedExamples(context.recipe)
        var cases: [String: [TestCaseRecord]] = [:]
        for sample in asked { cases[sample.id] = try context.store.testCases(of: sample.id).filter(\.isActive) }
        let shown = try ModelView.of(asked)
        let requests = asked.map { sample -> ChatRequest in
            let rewrite = rewrites[sample.id]!
            let evidence = rewrite.evidence.flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) } ?? []
            let messages = InstructStage.messages(sample, code: shown[sample.id], evidence: evidence,
                                                  fromDocstring: rewrite.instructionSource == "docstring", recipe: context.recipe)
            let seed = Prompting.seed(run: sampling.seed, sample: sample.id, stage: "instruct-candidates", attempt: 1)
            return Prompting.request(messages, sampling: sampling, seed: seed, attempt: 1,
                                     constraint: constrained ? EntryPoint(sample.entryPoint).answerGrammar : nil)
        }
        // One prompt, several sampled answers: a server that takes `n` reads the prompt once for all of them.
        let answers = try await generator.generate(requests, answers: settings.candidates - 1)
        guard answers.count == requests.count else { throw PipelineError.model("generator answered \(answers.count) of \(requests.count) requests") }
        for ((sample, analysis), (request, outputs)) in zip(zip(asked, analyses), zip(requests, answers)) {
            for (round, output) in zip(1..., outputs) {
                calls[sample.id, default: []].append(ModelCallRecord(
                    sampleId: sample.id, stage: "\(name.rawValue)-candidates", attempt: round, prompt: jsonText(request.messages),
                    output: output.text, promptTokens: output.promptTokens, completionTokens: output.completionTokens, seconds: output.seconds))
                let instruction = InstructStage.sentence(output.text)
                guard output.failure == nil, !instruction.isEmpty,
                      !(candidates[sample.id] ?? []).contains(where: { $0.instruction == instruction }) else { continue }
                let claims = settings.checkClaims
                    ? try await InstructionClaims.check(instruction, sample: sample, code: rewrites[sample.id]!.code,
                                                        parameters: RewriteStage.parameterNames(analysis.signature), cases: cases[sample.id] ?? [],
                                                        copied: copied, runner: context.runner)
                    : []
                if claims.allSatisfy(\.passed) { candidates[sample.id]!.append(Candidate(instruction: instruction, score: 0, claims: claims)) }
            }
        }
    }

    /// The entry point's `def` line(s) as the rewrite writes them (defaults and annotations included), body elided; a
    /// method's indented as in its class.
    static func signature(of entry: String, in code: String) -> String {
        let lines = code.components(separatedBy: "\n")
        let point = EntryPoint(entry)
        if point.isClass { return classSkeleton(point.name, lines: lines) }
        let indent = point.isMethod ? "    " : ""
        guard let first = lines.firstIndex(where: { line in
            let trimmed = line.drop { $0 == " " }
            return (point.isMethod || trimmed.count == line.count)
                && (trimmed.hasPrefix("def \(point.name)(") || trimmed.hasPrefix("async def \(point.name)("))
        }) else {
            return "\(indent)def \(point.name)(...):"
        }
        var header: [String] = []
        for line in lines[first...] {
            header.append(line)
            if line.trimmingCharacters(in: .whitespaces).hasSuffix(":") { break }
        }
        return header.joined(separator: "\n")
    }

    /// A whole class's `class` line and the `def` lines of its constructor and public methods, each body `...`: what
    /// the class must offer, nothing of how.
    static func classSkeleton(_ name: String, lines: [String]) -> String {
        guard let first = lines.firstIndex(where: { $0.hasPrefix("class \(name)(") || $0.hasPrefix("class \(name):") }) else {
            return "class \(name):\n    ..."
        }
        var out = [lines[first]]
        var index = first + 1
        while index < lines.count {
            let line = lines[index]
            if !line.isEmpty && !line.hasPrefix(" ") && !line.hasPrefix("\t") { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let indent = line.prefix { $0 == " " }.count
            if indent == 4, trimmed.hasPrefix("def "), trimmed.hasPrefix("def __init__(") || !trimmed.hasPrefix("def _") {
                // Decorators above it (@staticmethod) say how it is called.
                var decorators: [String] = []
                var above = index - 1
                while above > first, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") {
                    decorators.insert(lines[above], at: 0)
                    above -= 1
                }
                out += decorators
                while index < lines.count {
                    out.append(lines[index])
                    if lines[index].trimmingCharacters(in: .whitespaces).hasSuffix(":") { break }
                    index += 1
                }
                out.append("        ...")
            }
            index += 1
        }
        return out.count == 1 ? out[0] + "\n    ..." : out.joined(separator: "\n")
    }
}
