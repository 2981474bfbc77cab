// One request inside the batch engine: its tokens, its KV block table and its sampling state.
import Constraints
import Foundation
import Tokenizers

final class BatchSequence {
    /// The caller's batch it came in, and its place there.
    let submission: BatchSubmission
    let index: Int
    let request: BatchRequest
    var prompt: [Int] { request.promptIDs }
    var sampler: Sampler
    var constrained: ConstrainedStep
    var text: GeneratedText
    /// KV blocks of positions 0, blockTokens, 2 blockTokens, ...; the first `shared` came from the prefix cache.
    var blocks: [Int32] = []
    var shared = 0
    /// Prompt blocks already findable in the prefix cache.
    var registered = 0
    /// Positions whose keys and values are stored.
    var position = 0
    var ids: [Int] = []
    /// Blocks it may still take from the pool without waiting (reserved at admission).
    var reservation = 0
    var finish: FinishReason?
    /// Set when the request failed while running (a constraint with no way on); it has finished too.
    var failure: EngineError?
    /// When it joined the batch (its prefill time starts there, not in the queue).
    var admitted: UInt64?
    var firstToken: UInt64?

    init(submission: BatchSubmission, index: Int, request: BatchRequest, constraints: TokenMatcherCache) {
        self.submission = submission
        self.index = index
        self.request = request
        sampler = Sampler(settings: request.settings)
        constrained = ConstrainedStep(request.constraint, cache: constraints)
        text = GeneratedText(stops: request.settings.stop)
    }

    var isPrefilling: Bool { position < prompt.count }
    /// Tokens known so far: the prompt, then what was sampled.
    var length: Int { prompt.count + ids.count }
    func token(at position: Int) -> Int { position < prompt.count ? prompt[position] : ids[position - prompt.count] }

    func outcome() -> Result<GenerationResult, EngineError> {
        if let failure { return .failure(failure) }
        return .success(result())
    }

    func result() -> GenerationResult {
        let end = DispatchTime.now().uptimeNanoseconds, first = firstToken ?? end, start = min(admitted ?? first, first)
        return GenerationResult(promptIDs: prompt, ids: ids, text: text.text, finishReason: finish ?? .maxTokens,
                                prefillSeconds: Double(first - start) / 1e9, decodeSeconds: Double(end - first) / 1e9)
    }
}

/// One caller's requests: results filled in as they finish, under the engine's gate.
final class BatchSubmission {
    var results: [Result<GenerationResult, EngineError>?]
    /// Requests still queued or running; the caller returns when it reaches 0.
    var remaining = 0

    init(count: Int) { results = Array(repeating: nil, count: count) }
}
