import Foundation
import Testing

/// `semi-instruct build` with the real embedded SmolLM2, the real sandbox and MiniLM, run as a user runs it,
/// then killed with SIGKILL at several points and resumed: the dataset must equal the uninterrupted one.
@Suite(.serialized) struct BuildEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A small recipe over seven sample functions (text.py: SmolLM2 gets some of them right), short generations, two attempts,
    /// and a copy of HumanEval/0 under another name, which decontamination must take out before any model call.
    static func recipe(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("recipe.yaml")
        try DecontaminateCommandTests.plantedCode.write(to: dir.appendingPathComponent("planted.py"), atomically: true, encoding: .utf8)
        try """
            name: e2e
            inputs:
              - path: \(root.appendingPathComponent("samples/python/text.py").path)
              - path: \(dir.appendingPathComponent("planted.py").path)
            sampling:
              max_tokens: 160
              attempts: 2
            tests:
              count: 4
              minimum: 2
            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = BuiltBinary.url
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func finish(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, seconds: Double) {
        let began = Date()
        let process = try start(arguments, environment: environment)
        process.waitUntilExit()
        return (process.terminationStatus, Date().timeIntervalSince(began))
    }

    static func sqlite(_ database: URL, _ query: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import sqlite3, sys; print('\\n'.join('|'.join(map(str, r)) for r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2])))",
                             database.path, query]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test func aRunKilledAtSeveralPointsResumesToTheSameDataset() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let recipe = try Self.recipe(in: dir).path
        let whole = dir.appendingPathComponent("whole"), killed = dir.appendingPathComponent("killed")

        // The uninterrupted run: every item ends kept or rejected, and the dataset is written.
        let reference = try Self.finish(["build", recipe, "--run", whole.path, "--quiet"])
        #expect(reference.status == 0)
        let database = whole.appendingPathComponent("run.sqlite")
        let items = try Self.sqlite(database, "SELECT COUNT(*) FROM sample").trimmingCharacters(in: .whitespacesAndNewlines)
        let decided = try Self.sqlite(database, "SELECT COUNT(*) FROM outcome WHERE stage = 'collect'").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(items == decided && Int(items)! >= 7)
        let open = try Self.sqlite(database, """
            SELECT COUNT(*) FROM outcome o WHERE o.kept AND o.stage != 'semdedup'
            AND NOT EXISTS (SELECT 1 FROM outcome n WHERE n.sampleId = o.sampleId AND n.rowid > o.rowid)
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(open == "0", "a kept sample stopped before the last stage")
        // The planted benchmark solution went first, with its evidence and without a model call; every sample the
        // model finished was checked again.
        let planted = try Self.sqlite(database, """
            SELECT o.stage, o.reason, (SELECT COUNT(*) FROM modelCall m WHERE m.sampleId = s.id) FROM sample s
            JOIN outcome o ON o.sampleId = s.id AND NOT o.kept WHERE s.entryPoint = 'close_pair'
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(planted == "decontaminate-input|contaminated|0", "\(planted)")
        let unchecked = try Self.sqlite(database, """
            SELECT COUNT(*) FROM outcome f WHERE f.stage = 'faithfulness' AND f.kept
            AND NOT EXISTS (SELECT 1 FROM outcome d WHERE d.sampleId = f.sampleId AND d.stage = 'decontaminate-output')
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(unchecked == "0")
        let expected = try String(contentsOf: whole.appendingPathComponent("dataset.jsonl"), encoding: .utf8)

        // The same command killed at 15%, 40% and 70% of the reference time, then run to the end.
        for fraction in [0.15, 0.4, 0.7] {
            let process = try Self.start(["build", recipe, "--run", killed.path, "--quiet"])
            Thread.sleep(forTimeInterval: reference.seconds * fraction)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let resumed = try Self.finish(["build", recipe, "--run", killed.path, "--quiet"])
        #expect(resumed.status == 0)
        let actual = try String(contentsOf: killed.appendingPathComponent("dataset.jsonl"), encoding: .utf8)
        #expect(actual == expected)
        // Nothing done twice: the same decisions and the same number of stored model calls.
        let query = "SELECT s.ordinal, o.stage, o.kept, COALESCE(o.reason, '') FROM outcome o JOIN sample s ON s.id = o.sampleId ORDER BY 1, 2"
        #expect(try Self.sqlite(killed.appendingPathComponent("run.sqlite"), query) == (try Self.sqlite(database, query)))
        let calls = "SELECT COUNT(*) FROM modelCall"
        #expect(try Self.sqlite(killed.appendingPathComponent("run.sqlite"), calls) == (try Self.sqlite(database, calls)))

        // inspect reads the finished run.
        let summary = try BuiltBinary.run(["inspect", "--run", killed.path, "--json"])
        #expect(summary.status == 0 && summary.output.contains("\"stages\""))

        // mix: the run's verified code beside natural-language data, 1:1, deduplicated across both with MiniLM.
        let questions = ["What is the boiling point of water at sea level?", "Name the largest planet in the solar system.",
                         "Who wrote the novel Pride and Prejudice?", "Give two reasons to exercise regularly.",
                         "Summarise the water cycle in one sentence.", "What does a thermometer measure?",
                         "Suggest a name for a friendly golden retriever.", "How many continents are there?",
                         "Translate 'thank you' into Spanish.", "Why do leaves change colour in autumn?"]
        let nl = dir.appendingPathComponent("nl.jsonl")
        try questions.enumerated().map { "{\"instruction\": \"\($1)\", \"output\": \"Answer number \($0).\"}" }.joined(separator: "\n")
            .write(to: nl, atomically: true, encoding: .utf8)
        let mixedFile = dir.appendingPathComponent("mix/mixed.jsonl")
        let mix = try BuiltBinary.run(["mix", "--source", "code=\(whole.path)", "--source", "nl=\(nl.path)", "--ratio", "code=1,nl=1",
                                       "--format", "sharegpt", "-o", mixedFile.path])
        #expect(mix.status == 0, "\(mix.error)")
        let mixedRows = try String(contentsOf: mixedFile, encoding: .utf8).split(separator: "\n")
        let codeRows = mixedRows.filter { $0.contains("\"source\":\"code\"") }
        #expect(!codeRows.isEmpty && mixedRows.count == 2 * codeRows.count && codeRows.allSatisfy { $0.contains("```python") })
        #expect(mix.output.contains("code: \(expected.split(separator: "\n").count) records"), "\(mix.output)")
        #expect(try String(contentsOf: dir.appendingPathComponent("mix/mixed.card.md"), encoding: .utf8).contains("at the ratio code 1 : nl 1"))

        // Two shards, the first killed with SIGKILL and rerun, the second told its index by Slurm's variables, then
        // merged: the same dataset and decisions as the single process. A finished shard run again does nothing.
        let sharded = dir.appendingPathComponent("sharded")
        let first = try Self.start(["build", recipe, "--run", sharded.path, "--quiet", "--shard", "0/2"])
        Thread.sleep(forTimeInterval: reference.seconds * 0.2)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(try Self.finish(["build", recipe, "--run", sharded.path, "--quiet", "--shard", "0/2"]).status == 0)
        let slurm = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"]
        #expect(try Self.finish(["build", recipe, "--run", sharded.path, "--quiet"], environment: slurm).status == 0)
        let rerun = try BuiltBinary.run(["build", recipe, "--run", sharded.path, "--shard", "1/2"])
        #expect(rerun.status == 0 && rerun.error.contains("shard 1/2 is complete"), "\(rerun.error)")
        let merge = try BuiltBinary.run(["merge", sharded.path, "--quiet"])
        #expect(merge.status == 0, "\(merge.error)")
        #expect(try String(contentsOf: sharded.appendingPathComponent("dataset.jsonl"), encoding: .utf8) == expected)
        #expect(try Self.sqlite(sharded.appendingPathComponent("run.sqlite"), query) == (try Self.sqlite(database, query)))
        let shardSummary = try BuiltBinary.run(["inspect", "--run", sharded.path, "--json"])
        #expect(shardSummary.status == 0 && shardSummary.output.contains("\"stages\""))
        // export and report read the merged run as they read a single one, and export the same rows.
        for (run, name) in [(whole, "whole"), (sharded, "sharded")] {
            let exported = try BuiltBinary.run(["export", "--run", run.path, "--format", "alpaca", "-o", dir.appendingPathComponent("\(name)-export/a.jsonl").path])
            #expect(exported.status == 0, "\(exported.error)")
        }
        #expect(try Data(contentsOf: dir.appendingPathComponent("whole-export/a.jsonl")) == (try Data(contentsOf: dir.appendingPathComponent("sharded-export/a.jsonl"))))
        let report = try BuiltBinary.run(["report", "--run", sharded.path, "-o", dir.appendingPathComponent("sharded-report.html").path])
        #expect(report.status == 0, "\(report.error)")
        let page = try String(contentsOf: dir.appendingPathComponent("sharded-report.html"), encoding: .utf8)
        #expect(page.contains("<svg"))
        // The single run and the sharded one joined as runs built apart: every item is read twice, every second copy is
        // an exact duplicate of the first, and the dataset is the one either run made, but for the recipe it names (the
        // merged run's reads both runs' inputs). Nothing is embedded again.
        let joined = dir.appendingPathComponent("joined")
        let join = try BuiltBinary.run(["merge", whole.path, sharded.path, "--into", joined.path])
        #expect(join.status == 0, "\(join.error)")
        let recipeField = #""recipe":"[0-9a-f]+""#
        #expect(try String(contentsOf: joined.appendingPathComponent("dataset.jsonl"), encoding: .utf8)
                    .replacingOccurrences(of: recipeField, with: "", options: .regularExpression)
                == expected.replacingOccurrences(of: recipeField, with: "", options: .regularExpression))
        #expect(try Self.sqlite(joined.appendingPathComponent("run.sqlite"), "SELECT COUNT(*) FROM sample")
                    .trimmingCharacters(in: .whitespacesAndNewlines) == String(2 * Int(items)!))
        let joinedCard = dir.appendingPathComponent("joined-export/README.md")
        #expect(try BuiltBinary.run(["export", "--run", joined.path, "--format", "alpaca",
                                     "-o", dir.appendingPathComponent("joined-export/d.jsonl").path]).status == 0)
        #expect(try String(contentsOf: joinedCard, encoding: .utf8).contains("from 2 runs built apart, read in this order: `\(whole.path)`"))
        #expect(try BuiltBinary.run(["merge", whole.path, sharded.path]).error.contains("needs --into"))

        // Every instruction written records where it came from and the runs the model saw; every sample with one
        // has a back-translation score; the dataset carries it.
        let rewrites = try Self.sqlite(database, """
            SELECT r.instructionSource, r.evidence, r.examples FROM rewrite r
            JOIN outcome o ON o.sampleId = r.sampleId AND o.stage = 'instruct' AND o.kept
            """).split(separator: "\n")
        #expect(!rewrites.isEmpty)
        for row in rewrites {
            let fields = row.split(separator: "|", maxSplits: 2).map(String.init)
            #expect(["model", "docstring"].contains(fields[0]) && fields[1].hasPrefix("[\"") && fields[2].contains("\"cases\""), "\(row)")
        }
        let instructed = try Self.sqlite(database, "SELECT COUNT(*) FROM outcome WHERE stage = 'instruct' AND kept")
        #expect(try Self.sqlite(database, "SELECT COUNT(*) FROM faithfulness") == instructed)
        let rows = expected.split(separator: "\n")
        #expect(!rows.isEmpty && rows.allSatisfy { $0.contains("\"faithfulness\":") && $0.contains("\"instruction_source\":") })
        #expect(rows.contains { $0.contains("Examples:") })

        // inspect shows one exported sample's evidence, checks and back-translation.
        let id = try #require(try Self.sqlite(database, "SELECT sampleId FROM outcome WHERE stage = 'semdedup' AND kept LIMIT 1")
            .split(separator: "\n").first.map(String.init))
        let story = try BuiltBinary.run(["inspect", id, "--run", whole.path])
        #expect(story.status == 0 && story.output.contains("runs of the original the model saw") && story.output.contains("back-translation: faithfulness"),
                "\(story.output.prefix(3000))")

        // export keeps only the samples at or above a faithfulness minimum, and says so in the card.
        let perfect = try Self.sqlite(database, """
            SELECT COUNT(*) FROM faithfulness f JOIN outcome o ON o.sampleId = f.sampleId AND o.stage = 'semdedup' AND o.kept WHERE f.score >= 1
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        let filtered = dir.appendingPathComponent("faithful.jsonl")
        let export = try BuiltBinary.run(["export", "--run", whole.path, "--format", "alpaca", "--with-provenance", "--min-faithfulness", "1",
                                          "-o", filtered.path])
        #expect(export.status == 0, "\(export.error)")
        let kept = try String(contentsOf: filtered, encoding: .utf8).split(separator: "\n")
        #expect(String(kept.count) == perfect && kept.allSatisfy { $0.contains("\"faithfulness\":1") })
        let card = try String(contentsOf: dir.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(card.contains("## Instructions") && card.contains("This export left out samples scoring below 1.0."))
    }
}
