// `semi-instruct bench batch MODEL`: aggregate throughput of batched generation (prompts of 64 tokens,
// 128 generated each, at several numbers of parallel sequences, as llama-batched-bench measures), and a
// pipeline-shaped run (many requests sharing a long prefix, or with `--pipeline-mix` the build's own mix of prompt
// and answer lengths) with and without the prefix cache.
import ArgumentParser
import CommandOptions
import Engine
import Foundation
import Kernels
import Tokenizers

struct BenchBatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch", abstract: "Measure batched generation throughput and the prefix cache.")

    @OptionGroup var model: ModelArgument

    @OptionGroup var promptOption: PromptPrecisionOption

    @Option(help: "Prompt tokens per sequence.")
    var promptTokens = 64

    @Option(help: "Tokens generated per sequence.")
    var generateTokens = 128

    @Option(help: "Parallel sequences to measure, comma-separated.")
    var parallel = "1,4,16,32"

    @Option(help: "KV cache precision: f32 or f16.")
    var kv = KVPrecision.f32

    @Option(help: "Runs of each case; the median is reported.")
    var runs = 3

    @Option(help: "Requests of the pipeline-shaped run (0 skips it).")
    var prefixRequests = 200

    @Option(help: "Tokens of the prefix those requests share.")
    var prefixTokens = 300

    @Option(help: "Tokens each pipeline-shaped request generates.")
    var prefixGenerate = 16

    @Option(help: "Parallel sequences of the pipeline-shaped run.")
    var prefixParallel = 16

    @Flag(help: "Make the pipeline-shaped run the build's request mix: prompts of 300-900 tokens opening with one of three shared 250-token stage prompts, answers of 16-320 tokens (lengths drawn from a fixed seed); --prefix-tokens and --prefix-generate are not used.")
    var pipelineMix = false

    @Flag(help: "Print one JSON object.")
    var json = false

    var parallelCounts: [Int] { parallel.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard promptTokens >= 1, generateTokens >= 1, runs >= 1 else {
            throw ValidationError("--prompt-tokens, --generate-tokens and --runs must be at least 1")
        }
        guard !parallelCounts.isEmpty, parallelCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--parallel must list positive counts, e.g. 1,4,16,32")
        }
        guard prefixRequests >= 0, prefixTokens >= 1, prefixGenerate >= 1, prefixParallel >= 1 else {
            throw ValidationError("--prefix-requests must not be negative; the other --prefix options must be positive")
        }
    }

    func run() async throws {
        let loaded = try ModelLoader.load(model.model, threads: model.threads)
        // Every sequence runs to its token limit, as in llama-batched-bench: no end-of-sequence token.
        let tokenizer = EndlessTokenizer(base: loaded.tokenizer)
        let precision = kv
        let text = BenchText.tokens(loaded.tokenizer, count: max(promptTokens, prefixTokens) + 4096, vocabulary: loaded.config.vocabularySize)

        var rows: [[String: Any]] = []
        for count in parallelCounts {
            // Distinct prompts (different offsets into the text) and no prefix cache: nothing is shared.
            let prompts = (0..<count).map { Array(text[(37 * $0) % 4096..<(37 * $0) % 4096 + promptTokens]) }
            let options = BatchOptions(maxSequences: count, kvMemoryBytes: nil, kvPrecision: precision, prefixCacheBlocks: 0,
                                       precision: model.precision, promptPrecision: promptOption.promptPrecision)
            let engine = BatchEngine(model: loaded.model, tokenizer: tokenizer, options: options)
            let full = prompts.map { BatchRequest(promptIDs: $0, settings: SamplingSettings(maxTokens: generateTokens)) }
            let first = prompts.map { BatchRequest(promptIDs: $0, settings: SamplingSettings(maxTokens: 1)) }
            var prefill: [Measurement] = [], whole: [Measurement] = []
            // One unmeasured run warms caches and pages the weights in.
            for run in 0...runs {
                let p = Measurement.of { _ = engine.run(first) }
                let w = Measurement.of { _ = engine.run(full) }
                if run > 0 { prefill.append(p); whole.append(w) }
            }
            let p = Measurement.median(prefill), w = Measurement.median(whole)
            let generated = count * generateTokens
            let decodeSeconds = max(w.wall - p.wall, 1e-9)
            rows.append([
                "parallel": count, "prompt_tokens": promptTokens, "generated_tokens": generated,
                "prompt_tokens_per_second": Double(count * promptTokens) / p.wall,
                "decode_tokens_per_second": Double(count * (generateTokens - 1)) / decodeSeconds,
                "generated_tokens_per_second": Double(generated) / w.wall,
                "wall_seconds": w.wall, "cpu_seconds": w.cpu,
                "kv_bytes_touched": engine.statistics.kvBytesTouched, "kv_bytes_per_token": engine.kvBytesPerToken,
            ])
        }

        var pipeline: [[String: Any]] = []
        if prefixRequests > 0 {
            let prefix = Array(text[0..<prefixTokens])
            let requests = pipelineMix ? PipelineMix.requests(prefixRequests, text: text) : (0..<prefixRequests).map { i in
                // A shared instruction block, then a request of its own.
                let own = loaded.tokenizer.encode("\nTask \(i): sort the list \(i * 7919 % 1000) and explain step \(i % 7).",
                                                  addSpecialTokens: false)
                return BatchRequest(promptIDs: prefix + own, settings: SamplingSettings(maxTokens: prefixGenerate))
            }
            for cache in [false, true] {
                var measured: [Measurement] = []
                var statistics = BatchStatistics()
                for _ in 0..<runs {
                    // A fresh engine each run: the cache starts empty.
                    let engine = BatchEngine(model: loaded.model, tokenizer: tokenizer, options: BatchOptions(
                        maxSequences: prefixParallel, kvMemoryBytes: nil, kvPrecision: precision, prefixCacheBlocks: cache ? 4096 : 0,
                        precision: model.precision, promptPrecision: promptOption.promptPrecision))
                    measured.append(Measurement.of { _ = engine.run(requests) })
                    statistics = engine.statistics
                }
                let m = Measurement.median(measured)
                pipeline.append([
                    "prefix_cache": cache, "requests": prefixRequests, "parallel": prefixParallel,
                    "prompt_tokens": statistics.promptTokens, "reused_prompt_tokens": statistics.reusedPromptTokens,
                    "generated_tokens": statistics.generatedTokens, "wall_seconds": m.wall, "cpu_seconds": m.cpu,
                    "requests_per_second": Double(prefixRequests) / m.wall, "mix": pipelineMix ? "pipeline" : "shared-prefix",
                    "prompt_tokens_per_second": Double(statistics.promptTokens - statistics.reusedPromptTokens) / m.wall,
                    "generated_tokens_per_second": Double(statistics.generatedTokens) / m.wall,
                    "kv_bytes_touched": statistics.kvBytesTouched,
                ])
            }
        }

        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        let memory = ResidentMemory.current()
        if json {
            let object: [String: Any] = [
                "model": loaded.file.path, "threads": model.threads, "simd": KernelInfo.simd, "kv": kv.rawValue, "runs": runs,
                "batch": rows, "pipeline": pipeline, "load_average": load,
                "resident_bytes": memory.current, "peak_resident_bytes": memory.peak,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("model     \(loaded.file.path), \(model.threads) threads, \(KernelInfo.simd), KV \(kv.rawValue) "
            + "(\(rows.first?["kv_bytes_per_token"] as? Int ?? 0) bytes per cached token), median of \(runs) runs")
        print("parallel  prompt tok/s  decode tok/s  generated tok/s (whole run)  wall s  cpu s  KV MB")
        for row in rows {
            print(String(format: "%8d  %12.1f  %12.1f  %27.1f  %6.2f  %5.2f  %5.1f", row["parallel"] as! Int,
                         row["prompt_tokens_per_second"] as! Double, row["decode_tokens_per_second"] as! Double,
                         row["generated_tokens_per_second"] as! Double, row["wall_seconds"] as! Double,
                         row["cpu_seconds"] as! Double, Double(row["kv_bytes_touched"] as! Int) / 1e6))
        }
        let shape = pipelineMix ? "the build's mix (prompts 300-900 tokens, three shared stage prompts, answers 16-320)"
            : "\(prefixTokens)-token shared prefix"
        for row in pipeline {
            print(String(format: "pipeline  %d requests, %@, %d parallel, prefix cache %@: %.2f s wall, %.2f s cpu, "
                         + "%.2f requests/s, %.1f generated tok/s, %d of %d prompt tokens reused", row["requests"] as! Int, shape, prefixParallel,
                         (row["prefix_cache"] as! Bool) ? "on" : "off", row["wall_seconds"] as! Double,
                         row["cpu_seconds"] as! Double, row["requests_per_second"] as! Double,
                         row["generated_tokens_per_second"] as! Double, row["reused_prompt_tokens"] as! Int, row["prompt_tokens"] as! Int))
        }
        print("load average \(load) (other processes share these cores; compare cpu s too)")
        print("resident     \(memory.current / 1_000_000) MB now, \(memory.peak / 1_000_000) MB peak")
    }
}

/// The requests of a build: each stage's prompt (instructions and examples, shared by all its requests) and then the
/// sample's code and evidence, 300-900 tokens in all, answered in 16 (a verdict) to 320 (a rewrite) tokens.
public enum PipelineMix {
    public static let stagePrompt = 250
    public static let promptLengths = 300...900
    public static let answerLengths = 16...320

    /// `count` requests cut from `text` (at least 3,500 tokens), the same ones every time.
    public static func requests(_ count: Int, text: [Int]) -> [BatchRequest] {
        var generator = SplitMix64(seed: 300_900)
        let stages = (0..<3).map { Array(text[(stagePrompt * $0)..<(stagePrompt * ($0 + 1))]) }
        return (0..<count).map { i in
            let length = promptLengths.lowerBound + Int(generator.next() % UInt64(promptLengths.count))
            let answer = answerLengths.lowerBound + Int(generator.next() % UInt64(answerLengths.count))
            let start = stagePrompt * 3 + (97 * i) % 2048
            return BatchRequest(promptIDs: stages[i % 3] + Array(text[start..<(start + length - stagePrompt)]),
                                settings: SamplingSettings(maxTokens: answer))
        }
    }
}

/// Wall and CPU (user + system) seconds of one run.
struct Measurement {
    var wall: Double
    var cpu: Double

    static func of(_ body: () -> Void) -> Measurement {
        let cpuStart = cpuSeconds(), start = DispatchTime.now().uptimeNanoseconds
        body()
        return Measurement(wall: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, cpu: cpuSeconds() - cpuStart)
    }

    /// The run with the median wall time.
    static func median(_ runs: [Measurement]) -> Measurement { runs.sorted { $0.wall < $1.wall }[runs.count / 2] }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// The model's tokenizer with no end-of-sequence ids, so benchmark sequences run to their limit.
struct EndlessTokenizer: Tokenizer {
    let base: any Tokenizer
    var vocabularySize: Int { base.vocabularySize }
    var bosID: Int? { base.bosID }
    var endIDs: Set<Int> { [] }
    var addsBOS: Bool { base.addsBOS }
    func encode(_ text: String, addSpecialTokens: Bool) -> [Int] { base.encode(text, addSpecialTokens: addSpecialTokens) }
    func bytes(of id: Int) -> [UInt8] { base.bytes(of: id) }
    func isSpecial(_ id: Int) -> Bool { base.isSpecial(id) }
    func token(_ id: Int) -> String? { base.token(id) }
    func id(of token: String) -> Int? { base.id(of: token) }
}

/// Natural-looking prompt tokens: code and prose repeated to length.
enum BenchText {
    static func tokens(_ tokenizer: any Tokenizer, count: Int, vocabulary: Int) -> [Int] {
        let paragraph = "def merge(left, right):\n    result = []\n    while left and right:\n        result.append(left.pop(0) if left[0] <= right[0] else right.pop(0))\n    return result + left + right\n\nThe quick brown fox jumps over the lazy dog. Write a function that sorts a list of numbers, then explain it. "
        var ids: [Int] = []
        while ids.count < count { ids += tokenizer.encode(paragraph, addSpecialTokens: false) }
        return Array(ids.prefix(count)).map { min($0, vocabulary - 1) }
    }
}
