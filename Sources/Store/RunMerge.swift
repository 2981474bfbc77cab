// Joining run databases: the rows of shard runs copied into one database as they are (sample ids are global).
import Foundation
import GRDB

#if os(Linux)
/// glibc's `malloc_trim` (malloc.h, which the Glibc module leaves out): hands freed heap pages back to the system.
@_silgen_name("malloc_trim") private func mallocTrim(_ pad: Int) -> Int32
#endif

extension RunDatabase {
    /// The tables of a run's rows, parents first. `export` and `meta` are not copied: the merged run writes its own.
    static let rowTables = ["sample", "outcome", "modelCall", "rewrite", "testCase", "rank", "dedup", "execution",
                            "embedding", "probe", "adequacy", "faithfulness"]
    /// Tables whose sample rows outlive collect: every one but `sample` and `outcome`.
    static let artefactTables = rowTables.filter { $0 != "sample" && $0 != "outcome" }

    /// Copies every row of the run database at `path` into this one, in one transaction, and returns its meta entries.
    /// Refuses a file that is not a readable run of this schema, and a sample already present (two shards owning one
    /// sample: they were not split from one run). Model call ids are renumbered; their order per sample is kept.
    /// Joining separate runs, `ordinalOffset` puts their items after the earlier runs' and `renaming` gives the samples
    /// an earlier run already holds the ids a single process would have given them.
    public func absorb(runAt path: String, ordinalOffset: Int = 0, renaming: [String: String] = [:]) throws -> (samples: Int, meta: [String: String]) {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notARun(path: path, reason: "no such file") }
        return try writer.writeWithoutTransaction { db in
            do {
                try db.execute(sql: "ATTACH DATABASE ? AS other", arguments: [path])
            } catch {
                throw StoreError.notARun(path: path, reason: String(describing: error))
            }
            defer { try? db.execute(sql: "DETACH DATABASE other") }
            do {
                let check = try String.fetchAll(db, sql: "PRAGMA other.quick_check")
                guard check == ["ok"] else {
                    throw StoreError.notARun(path: path, reason: "damaged: \(check.prefix(3).joined(separator: "; "))")
                }
                guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM other.sqlite_master WHERE name = 'grdb_migrations'") == 1 else {
                    throw StoreError.notARun(path: path, reason: "it has none of the run tables (another program's SQLite file?)")
                }
                let mine = try String.fetchAll(db, sql: "SELECT identifier FROM main.grdb_migrations ORDER BY identifier")
                let theirs = try String.fetchAll(db, sql: "SELECT identifier FROM other.grdb_migrations ORDER BY identifier")
                guard mine == theirs else {
                    throw StoreError.cannotMerge(path: path, reason: "its schema (\(theirs.last ?? "none")) is not this version's (\(mine.last ?? "none"))")
                }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError.notARun(path: path, reason: "unreadable: \(error)")
            }
            var samples = 0
            var meta: [String: String] = [:]
            try db.inTransaction {
                try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS renamed (old TEXT PRIMARY KEY, new TEXT NOT NULL)")
                try db.execute(sql: "DELETE FROM temp.renamed")
                for (old, new) in renaming { try db.execute(sql: "INSERT INTO temp.renamed (old, new) VALUES (?, ?)", arguments: [old, new]) }
                if let clash = try String.fetchOne(db, sql: """
                    SELECT COALESCE(r.new, s.id) AS id FROM other.sample s LEFT JOIN temp.renamed r ON r.old = s.id
                    WHERE COALESCE(r.new, s.id) IN (SELECT id FROM main.sample) LIMIT 1
                    """) {
                    throw StoreError.cannotMerge(path: path, reason: "sample \(clash) is also in another run being merged: they were not split from one run")
                }
                for table in Self.rowTables {
                    let columns = try Row.fetchAll(db, sql: "PRAGMA main.table_info(\(table))").map { $0["name"] as String }
                        .filter { !(table == "modelCall" && $0 == "id") }
                    let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                    let key = table == "sample" ? "id" : "sampleId"
                    let values = columns.map { column -> String in
                        switch column {
                        case key: "COALESCE(r.new, x.\"\(column)\")"
                        case "ordinal" where table == "sample": "x.ordinal + \(ordinalOffset)"
                        default: "x.\"\(column)\""
                        }
                    }.joined(separator: ", ")
                    let order = table == "modelCall" ? " ORDER BY x.id" : ""
                    try db.execute(sql: """
                        INSERT INTO main.\(table) (\(list)) SELECT \(values) FROM other.\(table) x LEFT JOIN temp.renamed r ON r.old = x.\(key)\(order)
                        """)
                }
                samples = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM other.sample") ?? 0
                for row in try Row.fetchAll(db, sql: "SELECT key, value FROM other.meta") { meta[row["key"]] = row["value"] }
                return .commit
            }
            return (samples, meta)
        }
    }

    /// Runs `body` (rows copied in bulk) with a page cache of `mebibytes` on the writing connection, so that the primary
    /// keys on hashed ids, which every copied row touches somewhere, stay in memory; then gives the memory back.
    public func withWriteCache<T>(mebibytes: Int, _ body: () throws -> T) throws -> T {
        let size = try writer.read { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000 }
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -\(mebibytes * 1024)") }
        defer {
            try? writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = \(size); PRAGMA shrink_memory") }
            // The cache's pages go back to malloc; without a trim they stay resident under the stages that follow.
            #if os(Linux)
            _ = mallocTrim(0)
            #endif
        }
        return try body()
    }

    /// Runs `body` (rows copied in bulk) with the secondary indexes dropped, then builds them again: one sort at the end
    /// instead of an insert at a random place for every row, since the rows are keyed by hashed ids. Only for a database
    /// built aside (a merge's): when `body` fails, it is thrown away without its indexes.
    public func withoutSecondaryIndexes<T>(_ body: () throws -> T) throws -> T {
        let indexes = try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
                .map { ($0["name"] as String, $0["sql"] as String) }
        }
        try writer.write { db in for (name, _) in indexes { try db.execute(sql: "DROP INDEX \"\(name)\"") } }
        let result = try body()
        try writer.write { db in for (_, sql) in indexes { try db.execute(sql: sql) } }
        return result
    }

    /// Replaces a sample's decision at `outcome.stage` and forgets everything decided after it: its outcomes at
    /// `laterStages` and every artefact row (test cases, executions, model calls, rewrite, ranks, embeddings).
    public func redecide(_ outcome: OutcomeRecord, forgetting laterStages: [String]) throws {
        try writer.write { db in
            try OutcomeRecord.filter(OutcomeRecord.Columns.sampleId == outcome.sampleId && laterStages.contains(OutcomeRecord.Columns.stage))
                .deleteAll(db)
            for table in Self.artefactTables {
                try db.execute(sql: "DELETE FROM \(table) WHERE sampleId = ?", arguments: [outcome.sampleId])
            }
            try outcome.insert(db, onConflict: .replace)
        }
    }

    /// The id of every sample of the run database at `path`, in input order, read without opening it for writing.
    public static func sampleIdsInOrder(ofRunAt path: String) throws -> [(id: String, ordinal: Int)] {
        try readOnly(path) { db in
            try Row.fetchAll(db, sql: "SELECT id, ordinal FROM sample ORDER BY ordinal").map { ($0["id"], $0["ordinal"]) }
        }
    }

    /// The meta entries of the run database at `path`, read without opening it for writing (nor migrating it).
    public static func meta(ofRunAt path: String) throws -> [String: String] {
        try readOnly(path) { db in
            guard try db.tableExists("meta") else { return [:] }
            return Dictionary(try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0["key"] as String, $0["value"] as String) },
                              uniquingKeysWith: { first, _ in first })
        }
    }

    static func readOnly<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notARun(path: path, reason: "no such file") }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read(body)
        } catch {
            throw StoreError.notARun(path: path, reason: "unreadable: \(error)")
        }
    }

    /// The id and evidence of every sample `stage` kept, in input order (only these columns: a merge may hold millions).
    public func keptEvidenceInOrder(by stage: String) throws -> [(id: String, evidence: String?)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.id, o.evidence FROM sample s JOIN outcome o ON o.sampleId = s.id AND o.stage = ? AND o.kept
                ORDER BY s.ordinal
                """, arguments: [stage]).map { ($0["id"], $0["evidence"]) }
        }
    }
}

extension RunDatabase {
    /// Moves the write-ahead log into the database file, so the file alone is the whole run (before it is moved).
    public func checkpoint() throws {
        try writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
    }
}
