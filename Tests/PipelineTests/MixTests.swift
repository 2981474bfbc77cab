import Engine
import Foundation
import Pipeline
import Testing

/// `mix`: sources of every form read, duplicates removed across them, the ratio kept exactly, every record accounted for.
@Suite struct MixTests {
    static func write(_ lines: [String], to url: URL) throws {
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
    }

    /// Distinct requests: words drawn from a vocabulary by a seeded generator.
    static func words(_ count: Int, seed: Int) -> String {
        let vocabulary = ["river", "orbit", "violin", "granite", "pepper", "glacier", "harbor", "lantern", "meadow", "copper", "falcon",
                          "thunder", "velvet", "canyon", "marble", "saddle", "orchard", "compass", "ember", "tundra", "walnut", "beacon",
                          "quartz", "willow", "ferry", "basil", "summit", "pylon", "cobalt", "dune"]
        var state = UInt64(seed) &* 2654435761 &+ 12345
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return vocabulary[Int((state >> 33) % UInt64(vocabulary.count))]
        }.joined(separator: " ")
    }

    static func request(_ i: Int) -> String { "Describe \(words(9, seed: i))." }
    static func answer(_ i: Int) -> String { "It is \(words(7, seed: 1000 + i))." }

    static func alpaca(_ i: Int) -> String {
        "{\"instruction\": \"\(request(i))\", \"input\": \"\", \"output\": \"\(answer(i))\"}"
    }

    @Test func duplicatesAcrossSourcesGoAndTheRatioIsKept() throws {
        let dir = try temporaryDirectory("mix")
        defer { try? FileManager.default.removeItem(at: dir) }
        let nl = dir.appendingPathComponent("nl.jsonl"), chat = dir.appendingPathComponent("chat.jsonl")
        try Self.write((0..<30).map(Self.alpaca) + ["[1, 2]"], to: nl)
        try Self.write([
            // The same exchange as nl line 1, spaced differently: an exact duplicate, which the first source keeps.
            "{\"conversations\": [{\"from\": \"human\", \"value\": \"\(Self.request(0).replacingOccurrences(of: " ", with: "   "))\"}, {\"from\": \"gpt\", \"value\": \"\(Self.answer(0))\"}]}",
            // Nearly nl line 3: a semantic duplicate.
            "{\"messages\": [{\"role\": \"user\", \"content\": \"\(Self.request(2))!\"}, {\"role\": \"assistant\", \"content\": \"\(Self.answer(2))\"}]}",
            "{\"messages\": [{\"role\": \"assistant\", \"content\": \"I speak first\"}]}",
        ] + (0..<8).map { "{\"messages\": [{\"role\": \"system\", \"content\": \"Be terse.\"}, {\"role\": \"user\", \"content\": \"Chat question \($0): what rhymes with \(["cat", "dog", "sun", "tree", "blue", "night", "rain", "stone"][$0])?\"}, {\"role\": \"assistant\", \"content\": \"An answer about rhymes, \($0).\"}]}" },
            to: chat)
        var options = MixOptions(sources: [("nl", nl.path), ("chat", chat.path)], ratio: ["nl": 2, "chat": 1])
        options.eps = 0.1
        let output = dir.appendingPathComponent("out/mixed.jsonl")
        let result = try DataMix.run(options, embedder: HashingEmbedder(), output: output, progress: ProgressReporter(mode: .quiet))

        let nlPart = try #require(result.composition.first { $0.source == "nl" })
        let chatPart = try #require(result.composition.first { $0.source == "chat" })
        #expect(nlPart.read == 31 && nlPart.rejected == 1 && chatPart.read == 11 && chatPart.rejected == 1)
        #expect(chatPart.exactDuplicates == 1 && nlPart.semanticDuplicates + chatPart.semanticDuplicates == 1)
        // Chat, the scarcer source (8 or 9 rows left, as SemDeDup kept one side of the pair), gives all it has; nl twice that.
        #expect(nlPart.available + chatPart.available == 42 - 2 - 1 - 1 && [8, 9].contains(chatPart.available))
        let chatRows = chatPart.available
        #expect(chatPart.selected == chatRows && nlPart.selected == 2 * chatRows && result.rows == 3 * chatRows)
        let rows = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(rows.count == 3 * chatRows && rows.filter { $0["source"] as? String == "chat" }.count == chatRows)
        #expect(rows.allSatisfy { ($0["messages"] as? [[String: String]])?.last?["role"] == "assistant" })
        #expect(rows.contains { (($0["messages"] as? [[String: String]])?.first?["content"]) == "Be terse." })

        // Every record read is written or removed with a reason.
        let removed = try String(contentsOf: URL(fileURLWithPath: result.removed), encoding: .utf8).split(separator: "\n")
        #expect(removed.count + rows.count == 31 + 11)
        #expect(removed.contains { $0.contains("\"line\":1") && $0.contains("exact duplicate of nl line 1") })
        #expect(removed.contains { $0.contains("semantic duplicate of") })
        #expect(removed.contains { $0.contains("\"line\":31") && $0.contains("not a JSON object") })
        let card = try String(contentsOfFile: result.card, encoding: .utf8)
        #expect(card.contains("\(3 * chatRows) rows (messages) from 2 sources at the ratio nl 2 : chat 1") && card.contains("| chat | \(chat.path) | 11 | 1 | 1 |"))

        // The same seed gives the same bytes; a total above what the ratio allows is cut, with a note.
        let again = dir.appendingPathComponent("again/mixed.jsonl")
        _ = try DataMix.run(options, embedder: HashingEmbedder(), output: again, progress: ProgressReporter(mode: .quiet))
        #expect(try Data(contentsOf: again) == (try Data(contentsOf: output)))
        options.total = 100
        options.format = .alpaca
        let capped = try DataMix.run(options, embedder: HashingEmbedder(), output: dir.appendingPathComponent("capped/a.jsonl"), progress: ProgressReporter(mode: .quiet))
        #expect(capped.rows == 3 * chatRows && capped.shortfall?.contains("100 rows were asked for") == true)
        options.total = 9
        let small = try DataMix.run(options, embedder: HashingEmbedder(), output: dir.appendingPathComponent("small/a.jsonl"), progress: ProgressReporter(mode: .quiet))
        #expect(small.composition.map(\.selected) == [6, 3] && small.shortfall == nil)
        let alpacaRow = try String(contentsOf: dir.appendingPathComponent("small/a.jsonl"), encoding: .utf8).split(separator: "\n").first ?? ""
        #expect(alpacaRow.contains("\"instruction\":") && alpacaRow.contains("\"output\":"))
        #expect(small.card.hasSuffix("small/a.card.md"))

        // Alpaca holds one exchange: a longer conversation is left out by name, the rest still mixed.
        try Self.write(["{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": \"Hello\"}, "
                        + "{\"role\": \"user\", \"content\": \"Bye\"}, {\"role\": \"assistant\", \"content\": \"Goodbye\"}]}", Self.alpaca(40)],
                       to: dir.appendingPathComponent("long.jsonl"))
        let long = try DataMix.run(MixOptions(sources: [("long", dir.appendingPathComponent("long.jsonl").path)], ratio: ["long": 1]),
                                   embedder: HashingEmbedder(), output: dir.appendingPathComponent("long/a.jsonl"), progress: ProgressReporter(mode: .quiet))
        #expect(long.rows == 2)
        var alpacaOnly = MixOptions(sources: [("long", dir.appendingPathComponent("long.jsonl").path)], ratio: ["long": 1])
        alpacaOnly.format = .alpaca
        let one = try DataMix.run(alpacaOnly, embedder: HashingEmbedder(), output: dir.appendingPathComponent("long1/a.jsonl"), progress: ProgressReporter(mode: .quiet))
        #expect(one.rows == 1 && one.composition[0].rejected == 1)
        #expect(try String(contentsOfFile: one.removed, encoding: .utf8).contains("a conversation of 2 exchanges; Alpaca holds one"))
        // The output may not be one of the sources.
        #expect(throws: PipelineError.self) {
            try DataMix.run(alpacaOnly, embedder: HashingEmbedder(), output: dir.appendingPathComponent("long.jsonl"), progress: ProgressReporter(mode: .quiet))
        }
    }

    @Test func sharesAreSplitByLargestRemainder() {
        #expect(DataMix.apportion(10, weights: [1, 1, 1]) == [4, 3, 3])
        #expect(DataMix.apportion(7, weights: [2, 1]) == [5, 2])
        #expect(DataMix.apportion(0, weights: [1, 3]) == [0, 0])
    }
}
