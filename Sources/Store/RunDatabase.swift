// One SQLite database per run, opened through GRDB with the project's migrations applied.
import Foundation
import GRDB

public final class RunDatabase: Sendable {
    public let writer: any DatabaseWriter
    /// nil for an in-memory database.
    public let path: String?

    /// Opens (creating if needed) the database at `path`, in WAL mode, and migrates it.
    public init(path: String) throws {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            writer = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.open(path: path, underlying: String(describing: error))
        }
        self.path = path
        try Self.migrator.migrate(writer)
    }

    /// Opens the database of an existing run, refusing files that are not one; an older schema is migrated.
    public convenience init(existingRunAt path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError.notARun(path: path, reason: "no such file")
        }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let probe = try DatabaseQueue(path: path, configuration: configuration)
            let applied = try probe.read { db -> [String] in
                guard try db.tableExists("grdb_migrations") else { return [] }
                return try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            try probe.close()
            guard applied.contains("v1-meta") else {
                throw StoreError.notARun(path: path, reason: "it has none of the run tables (another program's SQLite file?)")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.notARun(path: path, reason: String(describing: error))
        }
        try self.init(path: path)
    }

    /// An in-memory database, for tests and throw-away work.
    public init() throws {
        writer = try DatabaseQueue()
        path = nil
        try Self.migrator.migrate(writer)
    }

    /// Named, append-only migrations: never edit one that has shipped; add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-meta") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
        }
        migrator.registerMigration("v2-pipeline", migrate: PipelineSchema.create)
        migrator.registerMigration("v3-behaviour", migrate: PipelineSchema.behaviour)
        migrator.registerMigration("v4-instructions", migrate: PipelineSchema.instructions)
        migrator.registerMigration("v5-provenance", migrate: PipelineSchema.provenance)
        migrator.registerMigration("v6-code-source", migrate: PipelineSchema.codeSource)
        return migrator
    }

    /// The SQLite library version GRDB is linked against, e.g. "3.40.1".
    public static func sqliteVersion() throws -> String {
        try DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "?" }
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    public func meta(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }
}
