// The attempt loop shared by model-driven stages: ask for all unresolved samples as one batch, parse,
// retry the failures with sampling, and keep every raw output for the record. A request the generator
// could not run is retried like an unusable answer and, with no attempt left, rejected as generation-failed.
import Constraints
import Foundation
import Store
import Tokenizers

enum AttemptResult<Value> {
    case done(Value)
    /// Try again; if no attempt is left, reject with this reason.
    case retry(reason: RejectionReason, detail: String)
}

enum ModelAttempts {
    /// Runs up to `recipe.sampling.attempts` rounds. `parse` sees every answer with the attempt number.
    /// `constraint` shapes the answers when the recipe allows it and the generator supports it.
    static func run<Value>(
        stage: StageName, batch: [SampleRecord], context: StageContext,
        messages: (SampleRecord) -> [ChatMessage],
        constraint: (SampleRecord) throws -> Grammar? = { _ in nil },
        maxTokens: (SampleRecord) -> Int? = { _ in nil },
        parse: (SampleRecord, String, Int) async throws -> AttemptResult<Value>
    ) async throws -> [String: (result: AttemptResult<Value>, calls: [ModelCallRecord])] {
        guard let generator = context.generator else { throw PipelineError.model("stage \(stage.rawValue) needs a generator") }
        let sampling = context.recipe.sampling
        var results: [String: (result: AttemptResult<Value>, calls: [ModelCallRecord])] = [:]
        var open = batch
        let constrained = sampling.constrain && generator.supportsConstraints
        var constraints: [String: Grammar] = [:]
        if constrained { for sample in batch { constraints[sample.id] = try constraint(sample) } }
        for attempt in 0..<max(1, sampling.attempts) where !open.isEmpty {
            let prompts = open.map { messages($0) }
            let requests = zip(open, prompts).map { sample, prompt in
                Prompting.request(prompt, sampling: sampling,
                                  seed: Prompting.seed(run: sampling.seed, sample: sample.id, stage: stage.rawValue, attempt: attempt),
                                  attempt: attempt, constraint: constraints[sample.id], maxTokens: maxTokens(sample))
            }
            let outputs = try await generator.generate(requests)
            guard outputs.count == requests.count else {
                throw PipelineError.model("generator answered \(outputs.count) of \(requests.count) requests")
            }
            var stillOpen: [SampleRecord] = []
            for ((sample, prompt), output) in zip(zip(open, prompts), outputs) {
                let call = ModelCallRecord(sampleId: sample.id, stage: stage.rawValue, attempt: attempt,
                                           prompt: jsonText(prompt), output: output.text,
                                           promptTokens: output.promptTokens, completionTokens: output.completionTokens,
                                           seconds: output.seconds)
                // A request the generator could not run is this sample's failure, not the batch's.
                let result: AttemptResult<Value> = if let failure = output.failure {
                    .retry(reason: .generationFailed, detail: failure)
                } else {
                    try await parse(sample, output.text, attempt)
                }
                let calls = (results[sample.id]?.calls ?? []) + [call]
                results[sample.id] = (result, calls)
                if case .retry = result { stillOpen.append(sample) }
            }
            open = stillOpen
        }
        return results
    }
}
