// `build` with its generator on another machine, against a fault-injecting OpenAI-compatible server on loopback:
// a server that keeps failing makes each sample a generation-failed rejection and the run goes on; a refused key
// stops the run at once naming the URL; the key itself is never written to the run.
import Foundation
import TestSupport
import Testing

@Suite(.serialized) struct RemoteGeneratorCLITests {
    let server: FakeOpenAIServer
    let directory: URL

    init() throws {
        server = try FakeOpenAIServer()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("si-remote-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "def scale(values, factor):\n    return [v * factor for v in values]\n\n\ndef clamp(x, low, high):\n    return max(low, min(high, x))\n"
            .write(to: directory.appendingPathComponent("code.py"), atomically: true, encoding: .utf8)
    }

    /// A recipe over code.py whose generator is `model` at `base` (the fake server of the suite unless given).
    func recipe(model: String, key: Bool = false, base: String? = nil) throws -> URL {
        let url = directory.appendingPathComponent("\(model).yaml")
        try """
            name: remote
            inputs:
              - path: code.py
            models:
              generator:
                endpoint: \(base ?? server.base)
                model: \(model)
                retries: 0
            \(key ? "    api_key_env: REMOTE_TEST_KEY\n" : "")
            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func build(_ recipe: URL, environment: [String: String] = [:]) throws -> (status: Int32, output: String, error: String, run: URL) {
        let run = directory.appendingPathComponent("run-\(UUID().uuidString.prefix(6))")
        let result = try BuiltBinary.run(["build", recipe.path, "--until", "test-inputs", "--run", run.path, "--workers", "1"],
                                         environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        return (result.status, result.output, result.error, run)
    }

    @Test func aServerThatKeepsFailingRejectsEachSampleAndTheRunGoesOn() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try build(try recipe(model: FakeOpenAIServer.model("always-500")))
        #expect(result.status == 0, "\(result.error)")
        let rejected = try BuiltBinary.run(["inspect", "--run", result.run.path, "--rejected", "--stage", "test-inputs", "--json"])
        let rows = try JSONSerialization.jsonObject(with: Data(rejected.output.utf8)) as? [[String: Any]] ?? []
        #expect(rows.count == 2, "\(rejected.output)")
        // Each batch says what it cost: requests, failures, retries, tokens per second.
        #expect((result.output + result.error).contains("/chat/completions: 2 requests (up to 2 at once), 2 failed, 0 retried"),
                "\(result.output)\(result.error)")
        let summary = try BuiltBinary.run(["inspect", "--run", result.run.path])
        #expect(summary.output.contains("constrained decoding: not sent: server openai (owned_by fake-org) takes no grammar"), "\(summary.output)")
        for row in rows {
            #expect(row["reason"] as? String == "generation-failed")
            #expect((row["detail"] as? String ?? "").contains("HTTP 500"), "\(row)")
        }
    }

    /// A llama.cpp server gets each stage's grammar as GBNF in `grammar`; the run records how constraints were sent.
    @Test func aServerThatTakesGrammarsGetsTheStagesConstraintsAsGBNF() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("sent.jsonl")
        let llama = try FakeOpenAIServer(log: log, owner: "llamacpp")
        let result = try build(try recipe(model: FakeOpenAIServer.model("echo"), base: llama.base))
        #expect(result.status == 0, "\(result.error)")
        let bodies = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").compactMap {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["body"] as? [String: Any]
        }
        #expect(!bodies.isEmpty, "nothing was sent")
        for body in bodies {
            let grammar = body["grammar"] as? String ?? ""
            // The test-input calls of `scale` or `clamp`, one rule per line.
            #expect(grammar.hasPrefix("root ::= call") && grammar.contains("\"scale(\"") != grammar.contains("\"clamp(\""), "\(grammar)")
            #expect(body["top_k"] as? Int == 40)
        }
        let summary = try BuiltBinary.run(["inspect", "--run", result.run.path])
        #expect(summary.output.contains("constrained decoding: on (GBNF in `grammar` to a llama.cpp server (owned_by llamacpp))"), "\(summary.output)")
    }

    @Test func aRefusedKeyStopsTheRunAndTheKeyIsNeverStored() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let refused = try build(try recipe(model: FakeOpenAIServer.model("needs-key"), key: true), environment: ["REMOTE_TEST_KEY": "wrong"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("\(server.base)/chat/completions: HTTP 401"), "\(refused.error)")
        let missing = try build(try recipe(model: FakeOpenAIServer.model("needs-key"), key: true))
        #expect(missing.status != 0 && missing.error.contains("$REMOTE_TEST_KEY, which is not set"), "\(missing.error)")

        let accepted = try build(try recipe(model: FakeOpenAIServer.model("needs-key"), key: true), environment: ["REMOTE_TEST_KEY": "sesame"])
        #expect(accepted.status == 0, "\(accepted.error)")
        let database = try Data(contentsOf: accepted.run.appendingPathComponent("run.sqlite"))
        #expect(database.range(of: Data("sesame".utf8)) == nil, "the API key is in the run database")
        #expect(database.range(of: Data("REMOTE_TEST_KEY".utf8)) != nil, "the recipe records where the key comes from")
    }
}
