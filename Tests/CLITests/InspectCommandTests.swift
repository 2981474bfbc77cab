import Foundation
import Testing

@Suite struct InspectCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        try BuiltBinary.run(arguments)
    }

    @Test func aForeignDatabaseIsRefusedAndLeftUntouched() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-foreign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("run.sqlite").path
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        sqlite.arguments = ["-c", "import sqlite3; c = sqlite3.connect('\(path)'); c.execute('create table t(x)'); c.commit()"]
        try sqlite.run()
        sqlite.waitUntilExit()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let result = try Self.run(["inspect", "--run", dir.path])
        #expect(result.status != 0)
        #expect(result.error.contains("is not a semi-instruct run database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func aMissingRunSaysWhereItLooked() throws {
        let result = try Self.run(["inspect", "--run", "/nonexistent/run-dir"])
        #expect(result.status != 0)
        #expect(result.error.contains("/nonexistent/run-dir/run.sqlite"))
    }

    @Test func anUnknownStageIsAUsageError() throws {
        let result = try Self.run(["inspect", "--rejected", "--stage", "nonsense"])
        #expect(result.status != 0)
        #expect(result.error.contains("'nonsense' is invalid") && result.error.contains("prefilter"), "\(result.error)")
        let reason = try Self.run(["inspect", "--rejected", "--reason", "too-boring"])
        #expect(reason.status != 0)
        #expect(reason.error.contains("'too-boring' is invalid") && reason.error.contains("too-short"), "\(reason.error)")
    }

    /// The README's table of reasons is what `inspect --reasons` prints, so the two cannot drift apart.
    @Test func theReadmeListsEveryReasonAsInspectDoes() throws {
        let listed = try Self.run(["inspect", "--reasons"])
        #expect(listed.status == 0, "\(listed.error)")
        let readme = try String(contentsOf: BuildEndToEndTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "<!-- reasons: semi-instruct inspect --reasons -->\n"))
        let end = try #require(readme.range(of: "<!-- end of reasons -->"))
        #expect(String(readme[start.upperBound..<end.lowerBound]) == listed.output)
        #expect(listed.output.contains("| `too-short` | prefilter | fewer lines than prefilter.min_lines |"))
    }

    /// A run's funnel and report say what each reason it gave means.
    @Test func theFunnelAndTheReportExplainTheReasons() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-meaning-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "def count(n):\n    for i in range(n):\n        yield i\n".write(to: dir.appendingPathComponent("one.py"), atomically: true, encoding: .utf8)
        let run = dir.appendingPathComponent("run")
        let built = try Self.run(["build", "recipes/quickstart.yaml", "--input", dir.appendingPathComponent("one.py").path,
                                  "--until", "prefilter", "--run", run.path, "--quiet"])
        #expect(built.status == 0, "\(built.error)")
        let funnel = try Self.run(["inspect", "--run", run.path])
        #expect(funnel.output.contains("generator: 1 (a generator: it returns an iterator whose values cannot be compared)"), "\(funnel.output)")
        let page = dir.appendingPathComponent("report.html")
        let report = try Self.run(["report", "--run", run.path, "-o", page.path])
        #expect(report.status == 0, "\(report.error)")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("<td><code>generator</code></td><td>1</td><td>a generator: it returns an iterator whose values cannot be compared</td>"))
    }

    /// Collected code is untrusted: escape sequences in it (a window title, clearing the screen, hidden text, a
    /// reversed line) are shown escaped, never sent to the terminal.
    @Test func escapeSequencesInCollectedCodeAreShownNotRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-escapes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let code = "def shout(x):\n    \"\"\"\u{1B}]0;pwned\u{07} \u{1B}[2J \u{1B}[8mhidden \u{E001}[8mmarked \u{202E}reversed\"\"\"\n    return x + 1\n"
        try code.write(to: dir.appendingPathComponent("shout.py"), atomically: true, encoding: .utf8)
        let run = dir.appendingPathComponent("run")
        let built = try Self.run(["build", "recipes/quickstart.yaml", "--input", dir.appendingPathComponent("shout.py").path,
                                  "--until", "prefilter", "--run", run.path, "--quiet"])
        #expect(built.status == 0, "\(built.error)")
        let query = Process()
        query.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        query.arguments = ["-c", "import sqlite3; print(sqlite3.connect('\(run.path)/run.sqlite').execute('select id from sample').fetchone()[0])"]
        let pipe = Pipe()
        query.standardOutput = pipe
        try query.run()
        query.waitUntilExit()
        let id = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try Self.run(["inspect", "--run", run.path, id])
        #expect(shown.status == 0, "\(shown.error)")
        #expect(shown.output.contains("def shout(x):"))
        for raw in ["\u{1B}", "\u{07}", "\u{202E}", "\u{E001}"] { #expect(!shown.output.contains(raw), "\(raw.unicodeScalars.first!.value)") }
        #expect(shown.output.contains("\\u{1b}]0;pwned\\u{7}") && shown.output.contains("\\u{202e}reversed") && shown.output.contains("\\u{e001}[8mmarked"))
    }
}
