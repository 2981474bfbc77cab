// `semi-instruct bench embed`: sentence embeddings of real Python functions from the CPython standard library.
import ArgumentParser
import CommandOptions
import Engine
import Foundation
import Kernels

struct BenchEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed real Python functions (CPython's standard library) and report sentences/s and tokens/s.",
        discussion: """
            Reference on the same set: sentence-transformers (PyTorch, 2 threads, batch 32) reaches about \
            53 sentences/s here; scripts/bench/embed_sentence_transformers.py measures it on --dump-corpus output.
            """)

    @Option(help: "Encoder model directory or cached name.")
    var model = "minilm"

    @Option(help: "Directory of Python sources to take functions from.")
    var library = "/usr/lib/python3.11"

    @Option(help: "Number of functions to embed.")
    var count = 2000

    @Option(help: "Timed runs; the median is reported.")
    var runs = 3

    @Option(help: "OpenBLAS threads per call (the encoder's products run on our own GEMM, one thread per worker).")
    var threads = 1

    @Option(help: "Batches encoded in parallel, each on its own thread.")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Most tokens packed into one forward pass.")
    var tokensPerBatch = 1024

    @Option(help: "Encoder weights: float32 or bfloat16 (default: bfloat16 where the CPU has AVX-512 BF16).")
    var precision: PackedMatrix.Precision?

    @Option(help: "Also write the functions as JSONL ({\"text\": ...}) to this file.")
    var dumpCorpus: String?

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    func validate() throws {
        guard count > 0, runs > 0, threads > 0, workers > 0, tokensPerBatch > 0 else {
            throw ValidationError("--count, --runs, --threads, --workers and --tokens-per-batch must be positive.")
        }
    }

    func run() throws {
        BLAS.threads = threads
        let functions = try PythonFunctionCorpus.functions(in: URL(fileURLWithPath: library), count: count)
        if let dumpCorpus {
            let lines = try functions.map { text in
                String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self)
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dumpCorpus))
        }
        if let precision, !precision.isSupported {
            throw ValidationError("--precision \(precision.rawValue) needs AVX-512 BF16, which this CPU lacks")
        }
        let embedder = try BERTEmbedder(directory: EmbedderLoader.encoderDirectory(model), tokensPerBatch: tokensPerBatch, workers: workers,
                                        weightPrecision: precision)
        let products = "own GEMM (\(GEMM.Path.best.name), \(embedder.model.weightPrecision.rawValue) weights)"
        _ = try embedder.embed(Array(functions.prefix(16)))  // warm-up: threads, page faults

        var seconds: [Double] = []
        var cpuSeconds: [Double] = []
        var tokens = 0
        var truncated = 0
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            let cpuStart = Self.processCPUSeconds()
            let tokenized = functions.map(embedder.tokenize)
            _ = try embedder.embed(tokenized: tokenized)
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpuSeconds.append(Self.processCPUSeconds() - cpuStart)
            tokens = tokenized.reduce(0) { $0 + $1.count }
            truncated = tokenized.filter { $0.count == embedder.maxSequenceLength }.count
        }
        let time = median(seconds)
        let sentencesPerSecond = Double(functions.count) / time
        let tokensPerSecond = Double(tokens) / time
        // CPU time is what the work costs whatever else runs on the machine; with spare cores, wall ~ cpu / workers.
        let cpuTime = median(cpuSeconds)
        if json {
            let report: [String: Any] = [
                "functions": functions.count, "tokens": tokens, "truncated": truncated,
                "max_sequence_length": embedder.maxSequenceLength, "products": products, "threads": threads, "workers": workers, "tokens_per_batch": tokensPerBatch, "runs": seconds,
                "median_seconds": time, "sentences_per_second": sentencesPerSecond, "tokens_per_second": tokensPerSecond,
                "cpu_seconds": cpuSeconds, "sentences_per_cpu_second": Double(functions.count) / cpuTime,
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("matrix products: \(products)")
            print("functions: \(functions.count) from \(library) (\(tokens) tokens, \(truncated) cut at \(embedder.maxSequenceLength))")
            print("runs: " + seconds.map { String(format: "%.2f s", $0) }.joined(separator: ", ") + " (\(workers) workers x \(threads) OpenBLAS threads, \(tokensPerBatch) tokens per batch)")
            print(String(format: "median: %.1f sentences/s, %.0f tokens/s", sentencesPerSecond, tokensPerSecond))
            print(String(format: "cpu: %.2f s a run, %.1f sentences per CPU second", cpuTime, Double(functions.count) / cpuTime))
        }
    }
}

extension BenchEmbed {
    /// User + system time of this process, all threads.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }
}

/// Top-level `def` blocks of real Python files, found with a line scanner (no Python needed).
enum PythonFunctionCorpus {
    /// `count` functions spread evenly over all top-level functions of the `.py` files under `root`, in path order.
    static func functions(in root: URL, count: Int) throws -> [String] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw ValidationError("cannot read \(root.path)")
        }
        let files = walker.compactMap { ($0 as? URL) }.filter { $0.pathExtension == "py" }.map(\.path).sorted()
        var all: [String] = []
        for path in files {
            guard let data = FileManager.default.contents(atPath: path),
                  let source = String(validating: data, as: UTF8.self) else { continue }
            all.append(contentsOf: topLevelFunctions(source))
        }
        guard all.count >= count else {
            throw ValidationError("\(root.path) has \(all.count) top-level functions, fewer than --count \(count)")
        }
        // An even stride over the whole library, not the first modules alphabetically.
        return (0..<count).map { all[$0 * all.count / count] }
    }

    /// A block starts at a column-0 `def`/`async def` and runs until the next non-blank column-0 line.
    static func topLevelFunctions(_ source: String) -> [String] {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        var functions: [String] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            guard line.hasPrefix("def ") || line.hasPrefix("async def ") else {
                index += 1
                continue
            }
            var end = index + 1
            while end < lines.count, lines[end].isEmpty || lines[end].first!.isWhitespace { end += 1 }
            var last = end
            while last > index + 1, lines[last - 1].allSatisfy(\.isWhitespace) { last -= 1 }
            functions.append(lines[index..<last].joined(separator: "\n"))
            index = end
        }
        return functions
    }
}
