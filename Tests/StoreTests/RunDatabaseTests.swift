import Foundation
import Store
import Testing

@Suite struct RunDatabaseTests {
    @Test func inMemoryDatabaseStoresAndReadsBack() throws {
        let db = try RunDatabase()
        #expect(db.path == nil)
        try db.setMeta("recipe", "quickstart")
        try db.setMeta("recipe", "stdlib")
        #expect(try db.meta("recipe") == "stdlib")
        #expect(try db.meta("missing") == nil)
    }

    @Test func temporaryFileDatabaseSurvivesReopening() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("run.sqlite").path
        do {
            let db = try RunDatabase(path: path)
            try db.setMeta("seed", "1234")
        }
        let reopened = try RunDatabase(path: path)
        #expect(try reopened.meta("seed") == "1234")
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func unopenablePathNamesTheFile() throws {
        let path = "/proc/semi-instruct-cannot-create/run.sqlite"
        #expect {
            _ = try RunDatabase(path: path)
        } throws: { error in
            (error as? StoreError)?.errorDescription?.contains(path) == true
        }
    }

    @Test func sqliteVersionLooksLikeAVersion() throws {
        let version = try RunDatabase.sqliteVersion()
        #expect(version.hasPrefix("3."))
    }
}
