// `semi-instruct bench generate MODEL`: prompt processing (512 tokens) and decode (128 tokens) speed,
// medians of several runs, plus resident memory.
import ArgumentParser
import CommandOptions
import Constraints
import Engine
import Foundation
import Kernels

struct BenchGenerate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Measure prompt processing and decode speed of a model.")

    @OptionGroup var model: ModelArgument

    @OptionGroup var promptOption: PromptPrecisionOption

    @Option(help: "Prompt tokens processed per run.")
    var promptTokens = 512

    @Option(help: "Tokens decoded per run.")
    var decodeTokens = 128

    @Option(help: "Runs; the median is reported.")
    var runs = 5

    @Option(help: "Also decode greedily under a built-in constraint (calls, fenced, rewrite, sentence, json) and report its cost.")
    var constraint: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard promptTokens >= 1, decodeTokens >= 1, runs >= 1 else {
            throw ValidationError("--prompt-tokens, --decode-tokens and --runs must be at least 1")
        }
        if let constraint, NamedConstraint(rawValue: constraint) == nil {
            throw ValidationError("--constraint \(constraint) is not one of \(NamedConstraint.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let loaded = try ModelLoader.load(model.model, threads: model.threads)
        BLAS.threads = model.threads
        let tokenizer = loaded.tokenizer
        let vocabulary = loaded.config.vocabularySize
        // A natural-looking prompt: a paragraph repeated and cut to length.
        let paragraph = "def merge(left, right):\n    result = []\n    while left and right:\n        result.append(left.pop(0) if left[0] <= right[0] else right.pop(0))\n    return result + left + right\n\nThe quick brown fox jumps over the lazy dog. "
        var prompt: [Int] = []
        while prompt.count < promptTokens { prompt += tokenizer.encode(paragraph, addSpecialTokens: false) }
        prompt = Array(prompt.prefix(promptTokens)).map { min($0, vocabulary - 1) }

        let grammar = try constraint.flatMap(NamedConstraint.init(rawValue:))?.grammar()
        let vocabularyTrie = grammar.map { _ in TokenVocabulary(tokenizer: tokenizer) }
        var prefillRates: [Double] = [], decodeRates: [Double] = [], shortRates: [Double] = []
        var constrainedRates: [Double] = [], constraintShares: [Double] = [], constraintMicroseconds: [Double] = []
        for _ in 0..<(runs + 1) {
            let session = loaded.model.makeSession(capacity: promptTokens + decodeTokens + 1,
                                                   precision: model.precision, promptPrecision: promptOption.promptPrecision)
            let start = DispatchTime.now().uptimeNanoseconds
            var logits = session.process(prompt)
            let prefilled = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<decodeTokens { logits = session.decode(Sampler.argmax(logits)) }
            withExtendedLifetime(session) {}
            let decoded = DispatchTime.now().uptimeNanoseconds
            prefillRates.append(Double(promptTokens) / (Double(prefilled - start) / 1e9))
            decodeRates.append(Double(decodeTokens) / (Double(decoded - prefilled) / 1e9))
            // Decode from a one-token context, as llama-bench's tg test does.
            let fresh = loaded.model.makeSession(capacity: decodeTokens + 1, precision: model.precision, promptPrecision: promptOption.promptPrecision)
            logits = fresh.process([prompt[0]])
            let freshStart = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<decodeTokens { logits = fresh.decode(Sampler.argmax(logits)) }
            withExtendedLifetime(fresh) {}
            shortRates.append(Double(decodeTokens) / (Double(DispatchTime.now().uptimeNanoseconds - freshStart) / 1e9))
            // The same decode after the prompt, each token picked under the constraint (a fresh matcher: cold caches).
            if let grammar, let vocabularyTrie {
                let constrained = loaded.model.makeSession(capacity: promptTokens + decodeTokens + 1, precision: model.precision,
                                                           promptPrecision: promptOption.promptPrecision)
                var clock = ConstrainedDecodeClock(grammar, vocabulary: vocabularyTrie)
                logits = constrained.process(prompt)
                let constrainedStart = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<decodeTokens { logits = constrained.decode(clock.pick(logits)) }
                withExtendedLifetime(constrained) {}
                let total = Double(DispatchTime.now().uptimeNanoseconds - constrainedStart)
                constrainedRates.append(Double(decodeTokens) / (total / 1e9))
                constraintShares.append(Double(clock.nanoseconds) / total)
                constraintMicroseconds.append(Double(clock.nanoseconds) / 1e3 / Double(decodeTokens))
            }
        }
        let constrainedDecode = constrainedRates.isEmpty ? 0 : median(Array(constrainedRates.dropFirst()))
        let constraintShare = constraintShares.isEmpty ? 0 : median(Array(constraintShares.dropFirst()))
        let constraintCost = constraintMicroseconds.isEmpty ? 0 : median(Array(constraintMicroseconds.dropFirst()))
        // The first run warms caches and page-ins the weights; it is not counted.
        let prefill = median(Array(prefillRates.dropFirst())), decode = median(Array(decodeRates.dropFirst()))
        let shortDecode = median(Array(shortRates.dropFirst()))
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        let memory = ResidentMemory.current()
        if json {
            let object: [String: Any] = [
                "model": loaded.file.path, "threads": model.threads, "precision": model.precision.rawValue,
                "prompt_precision": effectivePromptPrecision.rawValue, "simd": KernelInfo.simd, "runs": runs,
                "prompt_tokens": promptTokens, "decode_tokens": decodeTokens,
                "prefill_tokens_per_second": prefill, "decode_tokens_per_second": decode,
                "decode_empty_context_tokens_per_second": shortDecode, "load_average": load,
                "resident_bytes": memory.current, "peak_resident_bytes": memory.peak,
                "file_bytes": loaded.gguf?.fileSize ?? 0,
            ].merging(grammar == nil ? [:] : [
                "constraint": constraint ?? "", "constrained_decode_tokens_per_second": constrainedDecode,
                "constraint_share_of_decode": constraintShare, "constraint_microseconds_per_token": constraintCost,
            ]) { $1 }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("model        \(loaded.file.path) (\((loaded.gguf?.fileSize ?? 0) / 1_000_000) MB)")
            print("threads      \(model.threads), median of \(runs) runs, \(model.precision) activations (prompt: \(effectivePromptPrecision)), "
                + KernelInfo.simd)
            print(String(format: "prefill      %.1f tokens/s (%d-token prompt)", prefill, promptTokens))
            print(String(format: "decode       %.1f tokens/s (%d tokens after the prompt)", decode, decodeTokens))
            print(String(format: "decode       %.1f tokens/s (%d tokens from an empty context)", shortDecode, decodeTokens))
            if let constraint {
                print(String(format: "constrained  %.1f tokens/s (%@; the constraint took %.0f us a token, %.1f%% of decode time)",
                             constrainedDecode, constraint, constraintCost, constraintShare * 100))
            }
            print("load average \(load) (other processes share these cores)")
            print("resident     \(memory.current / 1_000_000) MB now, \(memory.peak / 1_000_000) MB peak")
        }
    }

    /// What the sessions' prompts ran at: float whenever the decoding products are.
    var effectivePromptPrecision: PromptPrecision { model.precision == .float ? .float : promptOption.promptPrecision }
}

/// Resident set size from /proc/self/status (Linux).
enum ResidentMemory {
    static func current() -> (current: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func kilobytes(_ key: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (kilobytes("VmRSS:"), kilobytes("VmHWM:"))
    }
}
