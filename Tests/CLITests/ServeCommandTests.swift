// `semi-instruct serve` with the real SmolLM2 and MiniLM, over HTTP on loopback: the same text as the embedded
// engine (greedy and seeded), streaming, choices, structured outputs, OpenAI-style errors naming the field, the API
// key, metrics, and a SIGTERM that lets the request in flight finish.
import Foundation
import Testing

@Suite(.serialized) struct ServeCommandTests {
    static let prompt = "Write one sentence about rivers."

    static func chat(_ extra: [String: Any] = [:], prompt: String = prompt) -> [String: Any] {
        ["model": "smollm2", "messages": [["role": "user", "content": prompt]]].merging(extra) { $1 }
    }

    /// What `model generate` gives for the same chat turn and sampling.
    static func generated(_ options: [String]) throws -> String {
        let result = try BuiltBinary.run(["model", "generate", "smollm2", "--chat", "--prompt", prompt, "--json"] + options)
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        return try #require(object?["text"] as? String, "\(result.error)")
    }

    @Test func chatGivesTheEmbeddedEnginesTextWholeAndStreamed() async throws {
        let server = try ServedModel(["smollm2"])
        let greedy = try await server.post("/v1/chat/completions", Self.chat(["max_tokens": 24, "temperature": 0]))
        #expect(greedy.status == 200, "\(greedy.text)")
        #expect(ServedModel.content(greedy) == (try Self.generated(["--max-tokens", "24", "--temperature", "0"])))
        let seeded = try await server.post("/v1/chat/completions",
                                           Self.chat(["max_tokens": 24, "temperature": 0.9, "top_p": 0.95, "top_k": 40, "seed": 99]))
        #expect(ServedModel.content(seeded) == (try Self.generated(["--max-tokens", "24", "--temperature", "0.9", "--top-p", "0.95",
                                                                      "--top-k", "40", "--seed", "99"])))

        let streamed = try await server.post("/v1/chat/completions",
                                             Self.chat(["max_tokens": 24, "temperature": 0, "stream": true, "stream_options": ["include_usage": true]]))
        let events = streamed.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.allSatisfy { $0.hasPrefix("data: ") } && events.last == "data: [DONE]", "\(streamed.text)")
        let chunks = events.dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.dropFirst(6).utf8)) as? [String: Any] }
        let deltas = chunks.flatMap { $0["choices"] as? [[String: Any]] ?? [] }
        #expect(deltas.compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined() == ServedModel.content(greedy))
        #expect(deltas.compactMap { $0["finish_reason"] as? String } == [(greedy.json["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String ?? "?"])
        let usage = try #require(chunks.last?["usage"] as? [String: Any])
        #expect(usage["completion_tokens"] as? Int == (greedy.json["usage"] as? [String: Any])?["completion_tokens"] as? Int)
    }

    /// Choice c of a seeded request samples with seed + c, and requests that run together give what they give alone.
    @Test func choicesAndConcurrentRequestsAreReproducible() async throws {
        let server = try ServedModel(["smollm2"])
        func sampled(seed: Int, n: Int = 1) -> [String: Any] { Self.chat(["max_tokens": 16, "temperature": 1.0, "seed": seed, "n": n]) }
        let three = try await server.post("/v1/chat/completions", sampled(seed: 5, n: 3))
        #expect((three.json["choices"] as? [[String: Any]])?.compactMap { $0["index"] as? Int } == [0, 1, 2], "\(three.text)")
        let alone = try await (0..<3).asyncMap { try await server.post("/v1/chat/completions", sampled(seed: 5 + $0)) }
        #expect(alone.map { ServedModel.content($0) } == (0..<3).map { ServedModel.content(three, choice: $0) })

        let together = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for seed in 5..<8 {
                group.addTask {
                    let body = Self.chat(["max_tokens": 16, "temperature": 1.0, "seed": seed])
                    return (seed, ServedModel.content(try await server.post("/v1/chat/completions", body)))
                }
            }
            return try await group.reduce(into: [Int: String?]()) { $0[$1.0] = $1.1 }
        }
        #expect((5..<8).map { together[$0] ?? nil } == alone.map { ServedModel.content($0) })

        let completions = try await server.post("/v1/completions", ["prompt": ["def add(a, b):", "import os"], "n": 2, "max_tokens": 6,
                                                                     "temperature": 0])
        let texts = (completions.json["choices"] as? [[String: Any]])?.compactMap { $0["text"] as? String } ?? []
        #expect(texts.count == 4 && texts[0] == texts[1] && texts[2] == texts[3], "\(completions.text)")
    }

    /// `ignore_eos` (llama.cpp's and vLLM's field, what load tests send) generates to the limit.
    @Test func ignoreEOSGeneratesToTheLimit() async throws {
        let server = try ServedModel(["smollm2"])
        func tokens(_ extra: [String: Any]) async throws -> Int? {
            let answer = try await server.post("/v1/chat/completions", Self.chat(["max_tokens": 40, "temperature": 0].merging(extra) { $1 },
                                                                                 prompt: "Reply with the single word yes."))
            return (answer.json["usage"] as? [String: Any])?["completion_tokens"] as? Int
        }
        let natural = try #require(try await tokens([:]))
        #expect(natural < 40, "the model did not stop by itself, so this test says nothing")
        #expect(try await tokens(["ignore_eos": true]) == 40)
    }

    /// `bench serve` loads the server and the in-process engine with the same work: every request its full length.
    @Test func benchServeGivesEachSideTheSameWork() throws {
        let result = try BuiltBinary.run(["bench", "serve", "smollm2", "--clients", "1,2", "--requests-per-client", "1", "--max-tokens", "6", "--json"])
        #expect(result.status == 0, "\(result.error)")
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let sides = object?["sides"] as? [[String: Any]] ?? []
        #expect(sides.compactMap { $0["name"] as? String } == ["in process", "semi-instruct serve"])
        for side in sides {
            let rows = side["rows"] as? [[String: Any]] ?? []
            #expect(rows.compactMap { $0["clients"] as? Int } == [1, 2])
            #expect(rows.compactMap { $0["generated_tokens"] as? Int } == [6, 12], "\(side)")
            #expect(rows.allSatisfy { ($0["tokens_per_second"] as? Double ?? 0) > 0 && ($0["p99_seconds"] as? Double ?? 0) > 0 })
        }
    }

    @Test func structuredOutputsHoldToTheirConstraint() async throws {
        let server = try ServedModel(["smollm2"])
        let yesNo = try await server.post("/v1/chat/completions", Self.chat(["max_tokens": 5, "grammar": #"root ::= "yes" | "no""#]))
        #expect(["yes", "no"].contains(ServedModel.content(yesNo) ?? ""), "\(yesNo.text)")
        let digits = try await server.post("/v1/chat/completions", Self.chat(["max_tokens": 8, "regex": "[0-9]{3}"]))
        #expect(ServedModel.content(digits)?.range(of: "^[0-9]{3}$", options: .regularExpression) != nil, "\(digits.text)")
        let schema: [String: Any] = ["type": "object", "properties": ["river": ["type": "string"], "long": ["type": "boolean"]],
                                     "required": ["river", "long"]]
        let json = try await server.post("/v1/chat/completions", Self.chat(["max_tokens": 60, "temperature": 0,
                                                                            "response_format": ["type": "json_schema", "json_schema": ["name": "r", "schema": schema]]]))
        let parsed = try JSONSerialization.jsonObject(with: Data((ServedModel.content(json) ?? "").utf8)) as? [String: Any]
        #expect(parsed?["river"] is String && parsed?["long"] is Bool, "\(json.text)")
    }

    @Test func badRequestsGetOpenAIErrorsNamingTheField() async throws {
        let server = try ServedModel(["smollm2", "--max-body-bytes", "65536", "--max-tokens", "512"])
        let cases: [([String: Any], Int, String)] = [
            (Self.chat(["max_tokens": 0]), 400, "max_tokens"),
            (Self.chat(["max_tokens": 513]), 400, "max_tokens"),
            (Self.chat(["temperature": "hot"]), 400, "temperature"),
            (["model": "smollm2", "messages": [["role": "robot", "content": "hi"]]], 400, "messages[0].role"),
            (["model": "smollm2"], 400, "messages"),
            (Self.chat(["grammar": "root ::= \"a\"", "regex": "a"]), 400, "regex"),
            (Self.chat(["grammar": "root ::= (\"a\""]), 400, "grammar"),
            (Self.chat(["n": 99]), 400, "n"),
            (Self.chat(["model": "gpt-4"]), 404, "model"),
        ]
        for (body, status, param) in cases {
            let answer = try await server.post("/v1/chat/completions", body)
            #expect(answer.status == status && answer.error["param"] as? String == param, "\(body): \(answer.text)")
            #expect(!(answer.error["message"] as? String ?? "").isEmpty)
        }
        let long = try await server.post("/v1/chat/completions", Self.chat(prompt: String(repeating: "river ", count: 9000)))
        #expect(long.status == 400 && long.error["code"] as? String == "context_length_exceeded", "\(long.text.prefix(300))")
        let huge = try await server.post("/v1/chat/completions", Self.chat(prompt: String(repeating: "x", count: 70000)))
        #expect(huge.status == 413, "\(huge.text.prefix(300))")
        let broken = try await server.post("/v1/chat/completions", "{\"messages\": [")
        #expect(broken.status == 400 && (broken.error["message"] as? String ?? "").contains("not valid JSON"), "\(broken.text)")
    }

    @Test func anAPIKeyIsAskedForEverywhereButHealth() async throws {
        let server = try ServedModel(["smollm2", "--api-key-env", "SERVE_TEST_KEY"], environment: ["SERVE_TEST_KEY": "sesame"])
        #expect(try await server.get("/health").status == 200)
        let refused = try await server.get("/v1/models")
        #expect(refused.status == 401 && refused.error["code"] as? String == "invalid_api_key", "\(refused.text)")
        #expect(try await server.get("/v1/models", headers: ["Authorization": "Bearer sesam"]).status == 401)
        let listed = try await server.get("/v1/models", headers: ["Authorization": "Bearer sesame"])
        #expect(((listed.json["data"] as? [[String: Any]])?.first?["owned_by"] as? String) == "semi-instruct", "\(listed.text)")
    }

    @Test func embeddingsAreTheEncodersVectorsAsFloatsOrBase64() async throws {
        let server = try ServedModel(["minilm"])
        let text = "def add(a, b):\n    return a + b"
        let floats = try await server.post("/v1/embeddings", ["input": [text, "print('hi')"], "encoding_format": "float"])
        let data = try #require(floats.json["data"] as? [[String: Any]], "\(floats.text)")
        let vector = try #require(data.first?["embedding"] as? [Double])
        let local = try BuiltBinary.run(["model", "embed", "minilm", "--text", text])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(local.output.utf8)) as? [Double], "\(local.error)")
        #expect(vector.count == 384 && zip(vector, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        let encoded = try await server.post("/v1/embeddings", ["input": text, "encoding_format": "base64"])
        let base64 = try #require((encoded.json["data"] as? [[String: Any]])?.first?["embedding"] as? String)
        let bytes = try #require(Data(base64Encoded: base64))
        let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(bitPattern: bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
        }
        // JSON carries each float's shortest decimal, which reads back to the same float.
        #expect(decoded == vector.map { Float($0) })
        // A server with only an encoder answers completions with a 404 that says so.
        let chat = try await server.post("/v1/chat/completions", Self.chat())
        #expect(chat.status == 404 && chat.error["param"] as? String == "model", "\(chat.text)")
    }

    @Test func metricsCountRequestsTokensAndTheKVCache() async throws {
        let server = try ServedModel(["smollm2", "--kv-memory-mib", "256"])
        let answer = try await server.post("/v1/chat/completions", Self.chat(["max_tokens": 8, "temperature": 0]))
        let tokens = try #require((answer.json["usage"] as? [String: Any])?["completion_tokens"] as? Int)
        _ = try await server.post("/v1/chat/completions", Self.chat(["max_tokens": 0]))
        let metrics = try await server.get("/metrics").text
        #expect(metrics.contains(#"semi_instruct_requests_total{endpoint="/v1/chat/completions",status="200"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"semi_instruct_requests_total{endpoint="/v1/chat/completions",status="400"} 1"#))
        #expect(metrics.contains("semi_instruct_generated_tokens_total \(tokens)\n"), "\(metrics)")
        // 256 MiB in whole blocks of 16 positions (737,280 bytes for SmolLM2 in f32): 364 of them.
        #expect(metrics.contains("semi_instruct_kv_cache_bytes_capacity 268369920"), "\(metrics)")
    }

    /// SIGTERM stops new work and lets the request in flight finish before the process exits.
    @Test func sigtermFinishesTheRequestInFlight() async throws {
        let server = try ServedModel(["smollm2"])
        // A grammar that takes 1000 letters, so the answer cannot end early, nor between two looks at the metrics on a
        // loaded machine (200 letters could, and the test then waited in vain).
        let inFlight = Task {
            try await server.post("/v1/completions", ["prompt": "Letters:", "max_tokens": 1200, "temperature": 0, "grammar": "root ::= [a-z]{1000}"])
        }
        var running = false
        // Up to a minute: the first constrained request builds the vocabulary's matcher first, slow on a loaded machine.
        for _ in 0..<600 where !running {
            try await Task.sleep(nanoseconds: 100_000_000)
            running = try await server.get("/metrics").text.contains("semi_instruct_batch_sequences 1.0")
        }
        #expect(running)
        kill(server.process.processIdentifier, SIGTERM)
        let answer = try await inFlight.value
        #expect(answer.status == 200 && ServedModel.content(answer)?.count == 1000, "\(answer.text)")
        #expect(server.exited(within: 20))
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
