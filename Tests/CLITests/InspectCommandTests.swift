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
}
