// Which server answers, told from its model list or declared, and where each kind gets the grammar, top-k and seed.
import Foundation
import RemoteModels
import TestSupport
import Testing

@Suite(.serialized) struct ServerKindTests {
    static func encoded(_ kind: ServerKind, grammar: String? = "root ::= \"a\"", seed: UInt64 = 0x1_2345_6789) throws -> [String: Any] {
        var request = ChatCompletionRequest(model: "m", messages: [.init(role: "user", content: "hi")], maxTokens: 8, temperature: 0,
                                            topP: 1, seed: nil, stop: nil)
        kind.shape(&request, grammar: grammar, topK: 40, seed: seed)
        return try JSONSerialization.jsonObject(with: try JSONEncoder().encode(request)) as? [String: Any] ?? [:]
    }

    @Test func eachServerGetsTheGrammarInItsOwnField() throws {
        #expect(try Self.encoded(.llamaCpp)["grammar"] as? String == "root ::= \"a\"")
        #expect(try Self.encoded(.semiInstruct)["grammar"] as? String == "root ::= \"a\"")
        #expect((try Self.encoded(.vllm)["structured_outputs"] as? [String: Any])?["grammar"] as? String == "root ::= \"a\"")
        #expect(try Self.encoded(.vllmGuided)["guided_grammar"] as? String == "root ::= \"a\"")
        #expect(try Self.encoded(.sglang)["ebnf"] as? String == "root ::= \"a\"")
        let fields = ["grammar", "structured_outputs", "guided_grammar", "ebnf"]
        for kind in ServerKind.allCases {
            let body = try Self.encoded(kind)
            // One grammar field at most, and none for a server that takes none.
            #expect(fields.filter { body[$0] != nil }.count == (kind.constrains ? 1 : 0), "\(kind): \(body)")
            // A hosted API refuses fields it does not know, so top_k goes only where it is read.
            #expect((body["top_k"] as? Int == 40) == kind.constrains, "\(kind)")
        }
        #expect(try Self.encoded(.llamaCpp, grammar: nil)["grammar"] == nil)
        // llama.cpp's server would otherwise cut at its default min_p of 0.05, which the pipeline's sampling does not.
        #expect(try Self.encoded(.llamaCpp)["min_p"] as? Double == 0)
        #expect(try Self.encoded(.vllm)["min_p"] == nil)
    }

    @Test func onlyOurOwnServerGetsTheWholeSeed() throws {
        #expect(try Self.encoded(.semiInstruct)["seed"] as? UInt64 == 0x1_2345_6789)
        for kind in ServerKind.allCases where kind != .semiInstruct {
            #expect(try Self.encoded(kind)["seed"] as? UInt64 == 0x2345_6789, "\(kind)")
        }
    }

    @Test func theModelListTellsWhoServes() throws {
        for (owner, kind) in [("llamacpp", ServerKind.llamaCpp), ("vllm", .vllm), ("sglang", .sglang), ("semi-instruct", .semiInstruct),
                              ("openai", .openai), ("fake-org", .openai)] {
            let server = try FakeOpenAIServer(owner: owner)
            let client = OpenAIClient(try EndpointSettings.make(endpoint: server.base, model: "fake", apiKeyVariable: nil, concurrency: 1,
                                                                timeoutSeconds: 5, retries: 0))
            let detected = client.detectServer()
            #expect(detected.kind == kind && detected.detail == "owned_by \(owner)", "\(owner): \(detected)")
        }
        // Nothing listening: no grammar is sent, and the reason says so.
        let closed = OpenAIClient(try EndpointSettings.make(endpoint: "http://127.0.0.1:9/v1", model: "m", apiKeyVariable: nil,
                                                            concurrency: 1, timeoutSeconds: 5, retries: 0))
        let detected = closed.detectServer()
        #expect(detected.kind == .openai && detected.detail.contains("http://127.0.0.1:9/v1/models did not answer"), "\(detected)")
    }
}
