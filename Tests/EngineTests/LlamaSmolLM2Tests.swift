// SmolLM2-135M-Instruct against transformers: logits at several positions and greedy transcripts.
import Engine
import Foundation
import Testing

struct LogitsRow {
    let promptIDs: [Int]
    let position: Int
    let argmax: Int
    let logits: [Float]

    static func load() throws -> [LogitsRow] {
        let meta = try SmolLM2Fixtures.json("logits.json")
        let vocabulary = meta["vocab_size"] as! Int
        let raw = try Data(contentsOf: SmolLM2Fixtures.directory.appendingPathComponent("logits.f32"))
        let floats = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (meta["rows"] as! [[String: Any]]).enumerated().map { index, row in
            LogitsRow(promptIDs: row["prompt_ids"] as! [Int], position: row["position"] as! Int,
                      argmax: row["argmax"] as! Int,
                      logits: Array(floats[index * vocabulary..<(index + 1) * vocabulary]))
        }
    }
}

@Suite(.serialized) struct LlamaSmolLM2Tests {
    @Test(.enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
    func logitsMatchTransformersTokenByToken() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        let rows = try LogitsRow.load()
        var byPrompt: [[Int]: [LogitsRow]] = [:]
        for row in rows { byPrompt[row.promptIDs, default: []].append(row) }
        for (prompt, rows) in byPrompt {
            let session = loaded.model.makeSession(capacity: prompt.count)
            var logitsAt: [Int: [Float]] = [:]
            for (position, token) in prompt.enumerated() {
                logitsAt[position] = Array(session.decode(token))
            }
            for row in rows {
                let ours = try #require(logitsAt[row.position])
                let difference = zip(ours, row.logits).map { abs($0 - $1) }.max()!
                #expect(ours.indices.max(by: { ours[$0] < ours[$1] }) == row.argmax, "position \(row.position)")
                #expect(difference < 1.0, "position \(row.position): max |difference| \(difference)")
            }
        }
    }

    @Test(.enabled(if: SmolLM2Fixtures.loaded != nil, "the smollm2 model is not installed (make setup)"))
    func prefillMatchesTransformers() throws {
        let loaded = try #require(SmolLM2Fixtures.loaded)
        for row in try LogitsRow.load() {
            let prefix = Array(row.promptIDs[0...row.position])
            let session = loaded.model.makeSession(capacity: prefix.count)
            let ours = Array(session.process(prefix))
            let difference = zip(ours, row.logits).map { abs($0 - $1) }.max()!
            #expect(ours.indices.max(by: { ours[$0] < ours[$1] }) == row.argmax, "position \(row.position)")
            #expect(difference < 1.0, "position \(row.position): max |difference| \(difference)")
        }
    }
}
