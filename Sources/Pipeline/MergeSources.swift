// What `merge` joins: the shards of one run, or runs built apart (each in one process or in shards), with the recipe
// they share and the place of each one's items in the merged input order.
import Foundation
import Store

public struct MergeSource: Sendable {
    /// One run database to copy: a shard's, or that of a run built in one process.
    public struct Part: Sendable {
        public var name: String
        public var databasePath: String
        /// What a shard's completion marker promises; its database must match it.
        public var marker: ShardMarker?
    }

    public var directory: URL
    public var parts: [Part]
    /// Every item its inputs held, all its shards together: the next run's items come after them.
    public var total: Int
    public var recipe: Recipe

    /// Whether its decisions stop before SemDeDup (shards), rather than include the run's own (a whole run).
    public var sharded: Bool { parts.first?.marker != nil }

    /// The complete shards of the run at `directory`.
    public static func shards(ofRun directory: URL) throws -> MergeSource {
        let shards = try ShardMerge.shards(of: directory)
        let parts = shards.map { Part(name: $0.spec.directoryName, databasePath: $0.databasePath, marker: $0.marker) }
        return MergeSource(directory: directory, parts: parts, total: shards[0].marker.collectedTotal,
                           recipe: try storedRecipe(at: parts[0].databasePath))
    }

    /// The run at `directory` as `merge RUN_A RUN_B` reads it: its shards when it was built in shards, else its database.
    public static func run(at directory: URL) throws -> MergeSource {
        let shardsDirectory = directory.appendingPathComponent("shards")
        if let names = try? FileManager.default.contentsOfDirectory(atPath: shardsDirectory.path),
           names.contains(where: { ShardSpec(directoryName: $0) != nil }) {
            return try shards(ofRun: directory)
        }
        let path = directory.appendingPathComponent("run.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw PipelineError.input(path: directory.path, message: "neither a run built in one process (no run.sqlite) nor one built in shards (no shards/)")
        }
        let meta = try RunDatabase.meta(ofRunAt: path)
        guard let layout = meta["pipeline.layout"], meta["collect.done"] != nil else {
            throw PipelineError.input(path: path, message: "this run never finished collecting; build it to the end first")
        }
        guard layout == BuildRunner.pipelineLayout else {
            throw PipelineError.input(path: path, message: "this run was made by a different version of the pipeline (\(layout)); it cannot be merged with this one")
        }
        let total = Int(meta["collect.total"] ?? meta["collect.done"] ?? "") ?? 0
        return MergeSource(directory: directory, parts: [Part(name: directory.lastPathComponent, databasePath: path, marker: nil)],
                           total: total, recipe: try storedRecipe(at: path))
    }

    static func storedRecipe(at databasePath: String) throws -> Recipe {
        guard let text = try RunDatabase.meta(ofRunAt: databasePath)["recipe"] else {
            throw PipelineError.input(path: databasePath, message: "the run's database holds no recipe")
        }
        do {
            return try JSONDecoder().decode(Recipe.self, from: Data(text.utf8))
        } catch {
            throw PipelineError.input(path: databasePath, message: "the stored recipe cannot be read: \(error)")
        }
    }

    /// The recipe of runs built apart and joined: the first one's, reading every run's inputs in order. They must agree
    /// on everything their decisions depend on, which is all but their name, inputs, export and SemDeDup settings (the
    /// merge decides SemDeDup and export again, with the first run's settings).
    public static func recipe(of sources: [MergeSource]) throws -> Recipe {
        func decisive(_ recipe: Recipe) -> Recipe {
            var core = recipe
            core.name = ""
            core.inputs = []
            core.export = .init()
            core.shards = nil
            for late in BuildRunner.lateSettings { late.clear(&core) }
            return core
        }
        let first = decisive(sources[0].recipe)
        for source in sources.dropFirst() where decisive(source.recipe) != first {
            let keys = differingKeys(jsonText(first), jsonText(decisive(source.recipe)))
            throw PipelineError.shard(message: "\(source.directory.path) was built with another recipe than \(sources[0].directory.path) "
                                      + "(they differ in \(keys.joined(separator: ", "))); runs merged together may differ only in their "
                                      + "name, inputs, export and dedup settings")
        }
        var merged = sources[0].recipe
        merged.inputs = sources.flatMap(\.recipe.inputs)
        merged.shards = nil
        return merged
    }

    /// The keys (to the second level, as `sampling.temperature`) whose values differ between two JSON objects.
    static func differingKeys(_ a: String, _ b: String) -> [String] {
        func object(_ text: String) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        func differ(_ x: Any?, _ y: Any?) -> Bool {
            guard let x, let y else { return (x == nil) != (y == nil) }
            let canonical = { (value: Any) in try? JSONSerialization.data(withJSONObject: [value], options: .sortedKeys) }
            return canonical(x) != canonical(y)
        }
        let left = object(a), right = object(b)
        var keys: [String] = []
        for key in Set(left.keys).union(right.keys).sorted() where differ(left[key], right[key]) {
            if let inner = left[key] as? [String: Any], let other = right[key] as? [String: Any] {
                keys += Set(inner.keys).union(other.keys).sorted().filter { differ(inner[$0], other[$0]) }.map { "\(key).\($0)" }
            } else {
                keys.append(key)
            }
        }
        return keys.isEmpty ? ["their encoding"] : keys
    }

    /// The ids a single process reading every run's inputs in order would give this run's samples, where an earlier run
    /// holds the same item (the same function at the same place): the next copy's id, as collect gives it.
    func renaming(after taken: inout Set<String>) throws -> [String: String] {
        let ids = try parts.flatMap { try RunDatabase.sampleIdsInOrder(ofRunAt: $0.databasePath) }.sorted { $0.ordinal < $1.ordinal }
        var renamed: [String: String] = [:]
        for (id, _) in ids {
            var new = id
            while taken.contains(new) { new = Collector.nextSampleId(after: new) }
            if new != id { renamed[id] = new }
            taken.insert(new)
        }
        return renamed
    }
}
