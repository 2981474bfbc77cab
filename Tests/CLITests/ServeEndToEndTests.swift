// `serve` as other programs use it: the official `openai` Python client (installed by make setup) drives it, and
// `build` pointed at it on loopback gives the dataset the embedded engine gives, constraints included.
import Foundation
import Testing

@Suite(.serialized) struct ServeEndToEndTests {
    static var tools: URL {
        let cache = ProcessInfo.processInfo.environment["SEMI_INSTRUCT_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
            .map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/semi-instruct")
        return cache.appendingPathComponent("tools/openai")
    }

    @Test func theOfficialOpenAIClientDrivesServe() throws {
        let server = try ServedModel(["smollm2", "--embedder", "minilm"])
        let python = try String(contentsOf: Self.tools.appendingPathComponent(".python"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let script = BuildEndToEndTests.root.appendingPathComponent("Tests/Fixtures/serve/openai_client_check.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, server.base, "smollm2", "minilm"]
        process.environment = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": Self.tools.path]) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let error = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(output.contains("ok: 16 checks"), "\(output)\(error)")
    }

    /// The e2e recipe (seven functions, constrained, a greedy and a sampled attempt, three instruction candidates) built
    /// by the embedded engine and by the same models behind `serve` (generator and embedder): the same samples,
    /// instructions, responses and tests, in the same order.
    @Test func buildThroughServeGivesTheEmbeddedDataset() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-serve-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let embedded = try BuildEndToEndTests.recipe(in: dir)
        // Three instructions per sample: two sampled answers to one prompt, asked of `serve` as one request with `n`.
        try (try String(contentsOf: embedded, encoding: .utf8) + "\ninstruction:\n  candidates: 3\n")
            .write(to: embedded, atomically: true, encoding: .utf8)
        let server = try ServedModel(["smollm2", "--embedder", "minilm"])
        let remote = dir.appendingPathComponent("remote.yaml")
        try (try String(contentsOf: embedded, encoding: .utf8) + """

            models:
              generator:
                endpoint: \(server.base)
                model: smollm2
              embedder:
                endpoint: \(server.base)
                model: minilm

            """).write(to: remote, atomically: true, encoding: .utf8)

        var datasets: [String] = []
        for recipe in [embedded, remote] {
            let run = dir.appendingPathComponent("run-\(recipe.deletingPathExtension().lastPathComponent)")
            let built = try BuiltBinary.run(["build", recipe.path, "--run", run.path, "--quiet"])
            #expect(built.status == 0, "\(built.error)")
            datasets.append(try String(contentsOf: run.appendingPathComponent("dataset.jsonl"), encoding: .utf8))
            let summary = try BuiltBinary.run(["inspect", "--run", run.path])
            #expect(summary.output.contains("constrained decoding: on"), "\(summary.output)")
        }
        // SemDeDup embedded the remote run's samples through the server, under a name that says where.
        let names = try BuildEndToEndTests.sqlite(dir.appendingPathComponent("run-remote/run.sqlite"), "select distinct model from embedding")
        #expect(names.trimmingCharacters(in: .whitespacesAndNewlines) == "minilm at \(server.base)", "\(names)")
        let rows = datasets.map { $0.split(separator: "\n").map { Self.content(String($0)) } }
        #expect(!rows[0].isEmpty, "the embedded run exported nothing, so the comparison says little")
        #expect(rows[0] == rows[1])
        // Each sample's two sampled candidates came from one request with `n` (the embedded run asked each on its own).
        let database = dir.appendingPathComponent("run-remote/run.sqlite")
        let calls = try BuildEndToEndTests.sqlite(database, "select count(*), sum(stage = 'faithfulness-candidates') from modelCall")
            .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").compactMap { Int($0) }
        let metrics = try await server.get("/metrics").text
        let requests = metrics.split(separator: "\n").filter { $0.hasPrefix(#"semi_instruct_requests_total{endpoint="/v1/chat/completions""#) }
            .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
        #expect(calls.count == 2 && calls[1] > 0 && requests == calls[0] - calls[1] / 2, "\(calls), \(requests) requests")
    }

    /// A dataset row without its recipe hash (the two recipes differ in where the generator runs, so their hashes do).
    static func content(_ line: String) -> String {
        guard var row = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return line }
        row.removeValue(forKey: "recipe")
        let data = try? JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? line
    }
}
