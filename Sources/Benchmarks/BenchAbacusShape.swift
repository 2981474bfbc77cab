// `semi-instruct bench abacus-shape` and `bench model-shape NAME`: a random-weight model with a real model's exact
// shapes in the Q4_K_M type mix (Abacus: about 1.8 GB, written to a temporary directory and deleted afterwards): decode
// and prompt tokens/s, and decode's share of the machine's read bandwidth, measured by a streaming pass after every few
// decoded tokens (a shared machine's bandwidth drifts within seconds: the share is the median of the stretches' own).
import ArgumentParser
import CommandOptions
import Engine
import Foundation
import Kernels
import ModelFiles

struct BenchAbacusShape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abacus-shape",
        abstract: "Decode and prompt speed on a random model of Abacus's shape (Q4_K_M mix), against read bandwidth.")

    @OptionGroup var options: ShapeBenchOptions

    func run() async throws { try ShapeBenchmark(name: "abacus", config: RandomGGUFModel.abacusShape, options: options).run() }
}

/// `semi-instruct bench model-shape NAME`: the same measurement on the shape of another model users run.
struct BenchModelShape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-shape",
        abstract: "Decode and prompt speed on a random model of a known model's shape (Q4_K_M mix), against read bandwidth.")

    @Argument(help: ArgumentHelp("The shape: \(RandomGGUFModel.shapes.map(\.name).joined(separator: ", ")).", valueName: "shape"))
    var shape: String

    @OptionGroup var options: ShapeBenchOptions

    func validate() throws {
        guard RandomGGUFModel.shapes.contains(where: { $0.name == shape }) else {
            throw ValidationError("unknown shape '\(shape)' (\(RandomGGUFModel.shapes.map(\.name).joined(separator: ", ")))")
        }
    }

    func run() async throws {
        let config = RandomGGUFModel.shapes.first { $0.name == shape }!.config
        try ShapeBenchmark(name: shape, config: config, options: options).run()
    }
}

struct ShapeBenchOptions: ParsableArguments {
    @Option(help: "Threads for the engine and the bandwidth measurement.")
    var threads = 2

    @Option(help: "Prompt tokens processed per run.")
    var promptTokens = 128

    @Option(help: "Tokens decoded per run, after the prompt.")
    var decodeTokens = 32

    @Option(help: "Runs; the median is reported (one more run warms up first).")
    var runs = 3

    @Option(help: "Activations of the decoding products: int8 or float.")
    var precision = ActivationPrecision.int8

    @Option(help: "Activations of the prompt's products: float, bf16 or int8.")
    var promptPrecision = PromptPrecision.float

    @Option(help: "Directory for the temporary model file (default: the system's temporary directory).")
    var directory: String?

    @Option(help: ArgumentHelp("Keep the model file at this path (it must not exist) instead of deleting it: a placeholder vocabulary lets llama.cpp and `bench batch` load it.", valueName: "path"))
    var keep: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard threads >= 1, promptTokens >= 1, decodeTokens >= 1, runs >= 1 else {
            throw ValidationError("--threads, --prompt-tokens, --decode-tokens and --runs must be at least 1")
        }
        if let keep, FileManager.default.fileExists(atPath: keep) { throw ValidationError("--keep: \(keep) already exists") }
    }
}

/// Writes the random model, times prompt and decode on it, and measures the read bandwidth beside.
struct ShapeBenchmark {
    let name: String
    let config: LlamaConfiguration
    let options: ShapeBenchOptions

    func run() throws {
        let (threads, promptTokens, decodeTokens, runs, precision) =
            (options.threads, options.promptTokens, options.decodeTokens, options.runs, options.precision)
        let parent = options.directory.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? FileManager.default.temporaryDirectory
        let folder = parent.appendingPathComponent("\(name)-shape-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = folder.appendingPathComponent("\(name)-shape-Q4_K_M.gguf")

        let writeStart = DispatchTime.now().uptimeNanoseconds
        let fileBytes = try RandomGGUFModel.writeQ4KM(self.config, to: written)
        let writeSeconds = seconds(since: writeStart)
        if let keep = options.keep { try FileManager.default.moveItem(at: written, to: URL(fileURLWithPath: keep)) }
        let url = options.keep.map { URL(fileURLWithPath: $0) } ?? written
        let gguf = try GGUFFile(url: url)
        let config = try LlamaConfiguration(gguf: gguf)
        let model = try LlamaModel(config: config, source: GGUFWeightSource(file: gguf), names: .gguf, threads: threads)
        BLAS.threads = threads
        let activations = precision
        // As the sessions run it: float whenever the decoding products are.
        let promptPrecision: PromptPrecision = precision == .float ? .float : options.promptPrecision

        var generator = SplitMix64(seed: 7)
        let prompt = (0..<promptTokens).map { _ in Int(generator.next() % UInt64(config.vocabularySize)) }
        let weights = DecodeTraffic.weightBytes(model.weights)
        // Attention reads the keys and values of every cached position; positions run prompt ..< prompt + decode.
        let averageContext = Double(promptTokens) + Double(decodeTokens + 1) / 2
        let kvBytes = averageContext * Double(2 * config.layerCount * config.kvDimension * MemoryLayout<Float>.size)
        let bytesPerToken = Double(weights) + kvBytes
        // A shared machine's bandwidth drifts within seconds: a streaming pass follows every few decoded tokens, and each
        // stretch of decoding is compared with the pass right after it.
        let read = StreamingRead()
        var prefillRates: [Double] = [], decodeRates: [Double] = [], bandwidths: [Double] = [], shares: [Double] = []
        for run in 0..<(runs + 1) {
            let session = model.makeSession(capacity: promptTokens + decodeTokens + 1, precision: activations,
                                            promptPrecision: promptPrecision)
            let start = DispatchTime.now().uptimeNanoseconds
            var logits = session.process(prompt)
            let prefilled = DispatchTime.now().uptimeNanoseconds
            var decoding = 0.0, decoded = 0
            while decoded < decodeTokens {
                let tokens = min(Self.stretchTokens, decodeTokens - decoded), stretchStart = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<tokens { logits = session.decode(Sampler.argmax(logits)) }
                let stretch = seconds(since: stretchStart)
                decoding += stretch
                decoded += tokens
                // The first run pages the weights in; it is not counted.
                guard run > 0 else { continue }
                let bandwidth = read.pass(pool: model.pool)
                bandwidths.append(bandwidth)
                shares.append(bytesPerToken * Double(tokens) / stretch / bandwidth)
            }
            withExtendedLifetime(session) {}
            guard run > 0 else { continue }
            prefillRates.append(Double(promptTokens) / (Double(prefilled - start) / 1e9))
            decodeRates.append(Double(decodeTokens) / decoding)
        }
        let prefill = median(prefillRates), decode = median(decodeRates)
        let bandwidth = median(bandwidths), fraction = median(shares)
        let sorted = shares.sorted(), quartiles = [sorted[sorted.count / 4], sorted[sorted.count * 3 / 4]]
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
        let types = DecodeTraffic.typeCounts(model.weights).sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")

        if options.json {
            let object: [String: Any] = [
                "shape": name, "file_bytes": fileBytes, "write_seconds": writeSeconds, "threads": threads, "precision": precision.rawValue,
                "prompt_precision": promptPrecision.rawValue, "simd": KernelInfo.simd, "runs": runs, "prompt_tokens": promptTokens, "decode_tokens": decodeTokens,
                "prefill_tokens_per_second": prefill, "decode_tokens_per_second": decode,
                "weight_bytes_per_token": weights, "kv_bytes_per_token": kvBytes,
                "read_bandwidth_bytes_per_second": bandwidth, "decode_bandwidth_fraction": fraction,
                "decode_bandwidth_fraction_quartiles": quartiles, "load_average": load,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("model        random weights, \(name) shape (\(config.architecture.name)), Q4_K_M mix: "
                + String(format: "%.2f GB written in %.1f s", Double(fileBytes) / 1e9, writeSeconds)
                + (options.keep.map { ", kept at \($0)" } ?? " (deleted after)"))
            print("tensors      \(types) matrices")
            print("threads      \(threads), median of \(runs) runs, \(precision.rawValue) activations (prompt: \(promptPrecision.rawValue)), "
                + KernelInfo.simd)
            print(String(format: "prefill      %.2f tokens/s (%d-token prompt)", prefill, promptTokens))
            print(String(format: "decode       %.2f tokens/s (%d tokens after the prompt)", decode, decodeTokens))
            print(String(format: "per token    %.0f MB of weights + %.1f MB of KV cache read", Double(weights) / 1e6, kvBytes / 1e6))
            let (low, high) = (bandwidths.min() ?? 0, bandwidths.max() ?? 0)
            print(String(format: "bandwidth    %.1f GB/s streaming read (%d threads, median of %d passes over 256 MiB, one after every %d decoded tokens; %.1f-%.1f)",
                         bandwidth / 1e9, threads, bandwidths.count, Self.stretchTokens, low / 1e9, high / 1e9))
            print(String(format: "decode uses  %.0f %% of the read bandwidth (median of each stretch's share of the pass after it; quartiles %.0f-%.0f %%)",
                         fraction * 100, quartiles[0] * 100, quartiles[1] * 100))
            print("load average \(load) (other processes share these cores)")
        }
    }

    func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// Decoded tokens between two streaming passes.
    static let stretchTokens = 4
}

/// What one decoded token reads from memory: every layer matrix and the output head once.
enum DecodeTraffic {
    static func matrices(_ w: LlamaWeights) -> [WeightMatrix] {
        w.layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.gate, $0.up, $0.down].compactMap { $0 } } + [w.output]
    }

    static func weightBytes(_ w: LlamaWeights) -> Int {
        let norms = w.layers.reduce(0) { $0 + 4 * ($1.attentionNorm.count + $1.ffnNorm.count) } + 4 * w.outputNorm.count
        return matrices(w).reduce(norms) { $0 + $1.rows * $1.rowBytes }
    }

    static func typeCounts(_ w: LlamaWeights) -> [TensorType: Int] {
        var counts: [TensorType: Int] = [:]
        for m in matrices(w) { counts[m.type, default: 0] += 1 }
        return counts
    }
}

/// The machine's streaming read bandwidth: threads sum disjoint parts of a buffer larger than any cache, on 2 MiB
/// pages as the packed weights are (on 4 KiB pages the same read is about 13 % slower here: the share decoding was
/// given of it flattered decoding).
final class StreamingRead {
    private let buffer: UnsafeMutablePointer<SIMD16<Float>>
    private let count: Int, chunks: Int
    private let sums: UnsafeMutablePointer<Float>
    private static let chunk = 1 << 14

    /// 256 MiB, larger than any cache here: about 8 ms a pass at 32 GB/s, short enough to follow every few decoded tokens.
    init(bytes: Int = 1 << 28) {
        count = bytes / MemoryLayout<SIMD16<Float>>.stride
        buffer = HugePages.allocate(byteCount: count * MemoryLayout<SIMD16<Float>>.stride).bindMemory(to: SIMD16<Float>.self, capacity: count)
        buffer.initialize(repeating: SIMD16(repeating: 1), count: count)
        chunks = (count + Self.chunk - 1) / Self.chunk
        sums = .allocate(capacity: chunks)
    }

    deinit {
        buffer.deallocate()
        sums.deallocate()
    }

    /// One pass over the buffer across the pool, in bytes per second.
    func pass(pool: WorkerPool) -> Double {
        let buffer = self.buffer, count = self.count, sums = self.sums, chunk = Self.chunk
        let start = DispatchTime.now().uptimeNanoseconds
        pool.parallelFor(chunks) { range in
            for c in range {
                var a = SIMD16<Float>(), b = SIMD16<Float>(), d = SIMD16<Float>(), e = SIMD16<Float>()
                let end = min(count, (c + 1) * chunk)
                var i = c * chunk
                while i + 4 <= end {
                    a += buffer[i]; b += buffer[i + 1]; d += buffer[i + 2]; e += buffer[i + 3]
                    i += 4
                }
                while i < end { a += buffer[i]; i += 1 }
                sums[c] = (a + b + d + e).sum()
            }
        }
        let rate = Double(count * MemoryLayout<SIMD16<Float>>.stride) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        // The sums are used, so the reads cannot be optimised away.
        precondition((0..<chunks).reduce(Float(0)) { $0 + sums[$1] } > 0)
        return rate
    }
}
