// `semi-instruct bench serve MODEL`: concurrent chat clients against `semi-instruct serve` (a process of its own, on
// loopback), beside the same requests made in process through the batch engine and, with --llama-server, against
// llama.cpp's server on the same model and cores. Every request generates exactly --max-tokens tokens (ignore_eos),
// so each side does the same work; reported: aggregate generated tokens/s and p50/p99 request latency.
import ArgumentParser
import CommandOptions
import Engine
import Foundation
import Tokenizers

struct BenchServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Measure `serve` under concurrent clients, beside in-process batching and llama-server.")

    @OptionGroup var model: ModelArgument

    @Option(help: "Concurrent clients to measure, comma-separated.")
    var clients = "1,8,32"

    @Option(help: "Requests each client makes, one after another.")
    var requestsPerClient = 2

    @Option(help: "Tokens each request generates.")
    var maxTokens = 64

    @Option(help: "A llama-server binary to measure on the same model (a GGUF file) and threads.")
    var llamaServer: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    var clientCounts: [Int] { clients.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard !clientCounts.isEmpty, clientCounts.allSatisfy({ $0 >= 1 }) else { throw ValidationError("--clients must list positive counts, e.g. 1,8,32") }
        guard requestsPerClient >= 1, maxTokens >= 1 else { throw ValidationError("--requests-per-client and --max-tokens must be at least 1") }
    }

    func run() async throws {
        let most = clientCounts.max()!
        let file = try ModelLoader.resolve(model.model)
        var sides: [(name: String, rows: [LoadResult])] = []

        // In process: each client a thread calling the batch engine, as the server's request handlers do.
        let loaded = try ModelLoader.load(model.model, threads: model.threads)
        let engine = LlamaGenerator(loaded, precision: .int8, batchOptions: BatchOptions(maxSequences: most))
        let prompts = try (0..<(most * requestsPerClient)).map { try engine.promptIDs(.chat([ChatMessage(role: .user, content: Self.prompt($0))])) }
        let maxTokens = maxTokens
        sides.append(("in process", clientCounts.map { count in
            LoadResult.measure(clients: count, requestsPerClient: requestsPerClient) { index in
                var request = BatchRequest(promptIDs: prompts[index], settings: SamplingSettings(maxTokens: maxTokens))
                request.ignoresEndOfSequence = true
                return (try? engine.run([request])[0].get())?.ids.count ?? 0
            }
        }))

        let ours = try ServerProcess.semiInstruct(model: model.model, threads: model.threads, parallel: most)
        sides.append(("semi-instruct serve", try await load(ours, model: model.model)))
        ours.stop()
        if let llamaServer {
            let theirs = try ServerProcess.llamaServer(binary: llamaServer, model: file.path, threads: model.threads, parallel: most,
                                                      contextPerSlot: 1024)
            sides.append(("llama-server", try await load(theirs, model: "model")))
            theirs.stop()
        }
        report(sides, file: file)
    }

    /// Distinct prompts, so no side gains from a prefix cache the others lack.
    static func prompt(_ index: Int) -> String { "Tell a long story about river number \(index) and the towns along it." }

    func load(_ server: ServerProcess, model name: String) async throws -> [LoadResult] {
        var rows: [LoadResult] = []
        for count in clientCounts {
            let client = LoadClient(base: server.base, model: name, maxTokens: maxTokens, connections: count)
            rows.append(try await client.measure(clients: count, requestsPerClient: requestsPerClient))
        }
        return rows
    }

    func report(_ sides: [(name: String, rows: [LoadResult])], file: URL) {
        let reference = sides[0].rows
        if json {
            let object: [String: Any] = [
                "model": file.path, "threads": model.threads, "max_tokens": maxTokens, "requests_per_client": requestsPerClient,
                "sides": sides.map { side in ["name": side.name, "rows": side.rows.map(\.json)] as [String: Any] },
            ]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
                print(String(decoding: data, as: UTF8.self))
            }
            return
        }
        print("model \(file.path), \(model.threads) threads, \(requestsPerClient) requests per client, \(maxTokens) tokens each")
        print("side                  clients  tokens/s  p50 s  p99 s  vs in process  client cpu s / wall s")
        for side in sides {
            for (row, base) in zip(side.rows, reference) {
                print(side.name.padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "  %7d  %8.1f  %5.2f  %5.2f  %12.2fx", row.clients, row.tokensPerSecond,
                             row.p50, row.p99, base.tokensPerSecond > 0 ? row.tokensPerSecond / base.tokensPerSecond : 0)
                      + (row.clientCPU.map { String(format: "  %.2f / %.2f", $0, row.wall) } ?? ""))
            }
        }
        if sides.count == 3 {
            for (ours, theirs) in zip(sides[1].rows, sides[2].rows) {
                print(String(format: "serve / llama-server at %d clients: %.2fx", ours.clients, theirs.tokensPerSecond > 0 ? ours.tokensPerSecond / theirs.tokensPerSecond : 0))
            }
        }
    }
}

/// One load level: every request's latency and generated tokens, and the wall time for them all.
struct LoadResult: Sendable {
    var clients: Int
    var latencies: [Double]
    var tokens: Int
    var wall: Double
    /// CPU seconds the load client itself used (HTTP sides): it shares the cores with the server it measures.
    var clientCPU: Double?

    var tokensPerSecond: Double { wall > 0 ? Double(tokens) / wall : 0 }
    var p50: Double { percentile(0.5) }
    var p99: Double { percentile(0.99) }

    func percentile(_ share: Double) -> Double {
        let sorted = latencies.sorted()
        return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((share * Double(sorted.count)).rounded(.up)) - 1)]
    }

    var json: [String: Any] {
        ["clients": clients, "requests": latencies.count, "generated_tokens": tokens, "wall_seconds": wall,
         "tokens_per_second": tokensPerSecond, "p50_seconds": p50, "p99_seconds": p99, "client_cpu_seconds": clientCPU ?? 0]
    }

    /// `clients` threads, each making its requests one after another; `request(i)` returns the tokens generated.
    static func measure(clients: Int, requestsPerClient: Int, _ request: @escaping @Sendable (Int) -> Int) -> LoadResult {
        let tally = Tally()
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        for client in 0..<clients {
            group.enter()
            let thread = Thread {
                for round in 0..<requestsPerClient {
                    let began = DispatchTime.now().uptimeNanoseconds
                    let made = request(client * requestsPerClient + round)
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
                    tally.add(seconds: seconds, tokens: made)
                }
                group.leave()
            }
            thread.stackSize = 16 << 20
            thread.start()
        }
        group.wait()
        let (latencies, tokens) = tally.totals
        return LoadResult(clients: clients, latencies: latencies, tokens: tokens,
                          wall: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}

/// Latencies and tokens the client threads add up.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Double] = []
    private var tokens = 0
    func add(seconds: Double, tokens made: Int) { lock.withLock { latencies.append(seconds); tokens += made } }
    var totals: ([Double], Int) { lock.withLock { (latencies, tokens) } }
}
