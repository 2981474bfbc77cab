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
        #expect(result.error.contains("unknown stage 'nonsense'"))
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
