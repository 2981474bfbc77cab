// test inputs: the model writes calls of the function; the parseable, distinct ones are kept.
// Inputs from several attempts accumulate until the recipe's count is reached.
import Constraints
import Foundation
import Store

struct TestInputsStage: Stage {
    let name = StageName.testInputs
    let batchSize = 8

    func process(_ batch: [SampleRecord], context: StageContext) async throws -> [StageCommit] {
        let start = DispatchTime.now()
        let settings = context.recipe.tests
        var rewrites: [String: String] = [:]
        for sample in batch { rewrites[sample.id] = try context.store.rewrite(of: sample.id)?.code ?? sample.code }
        var collected: [String: [CallArguments]] = [:]
        // Keyword arguments may name the function's own parameters (each once, in order).
        let analyses = try PythonTools.analyze(batch.map { (rewrites[$0.id]!, $0.entryPoint) })
        var parameters: [String: [String]] = [:]
        for (sample, analysis) in zip(batch, analyses) {
            parameters[sample.id] = analysis.signature.map { $0.positional + $0.kwonly } ?? []
        }
        let results = try await ModelAttempts.run(
            stage: name, batch: batch, context: context,
            messages: {
                Prompting.messages(context.recipe.prompts.testInputs,
                                   fields: ["code": rewrites[$0.id]!, "entry": $0.entryPoint, "count": String(settings.count)])
            },
            constraint: {
                try? BuiltInConstraints.callLines(function: $0.entryPoint, keywords: parameters[$0.id] ?? [],
                                                 minLines: max(1, settings.count), maxLines: max(1, settings.count))
            },
            parse: { sample, text, _ in
                var inputs = collected[sample.id] ?? []
                for arguments in try ResponseParsers.testInputs(in: text, entry: sample.entryPoint)
                where !inputs.contains(arguments) && inputs.count < settings.count {
                    inputs.append(arguments)
                }
                collected[sample.id] = inputs
                if inputs.count >= settings.count { return .done(inputs) }
                return .retry(reason: "too-few-inputs",
                              detail: "\(inputs.count) distinct parseable inputs; the minimum is \(settings.minimum)")
            })
        let seconds = elapsed(since: start) / Double(max(1, batch.count))
        return batch.map { sample in
            let (result, calls) = results[sample.id]!
            let inputs = collected[sample.id] ?? []
            let cases = inputs.enumerated().map {
                TestCaseRecord(sampleId: sample.id, index: $0.offset, arguments: $0.element.display, literal: $0.element.literal)
            }
            if inputs.count >= settings.minimum {
                return StageCommit(outcome: keep(sample, seconds: seconds), modelCalls: calls, testCases: cases)
            }
            // The last attempt's reason: too few inputs, or a request the generator could not run.
            var (reason, detail) = ("too-few-inputs", "\(inputs.count) distinct parseable inputs; the minimum is \(settings.minimum)")
            if case let .retry(lastReason, lastDetail) = result { (reason, detail) = (lastReason, lastDetail) }
            return StageCommit(outcome: reject(sample, reason, detail, evidence: calls.last?.output, seconds: seconds),
                               modelCalls: calls, testCases: cases)
        }
    }
}
