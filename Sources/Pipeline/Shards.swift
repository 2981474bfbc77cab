// Shards: one build split over N processes (a Slurm job array, a Kubernetes Indexed Job) that `merge` joins again.
// An item's shard follows from its identity alone, so a shard's set never depends on what other shards did.
import Foundation
import ModelFiles

public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    /// Zero-based, below `count`.
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw PipelineError.shard(message: "the shard count must be at least 1 (got \(count))") }
        guard (0..<count).contains(index) else {
            throw PipelineError.shard(message: "shard index \(index) is outside 0..\(count - 1) (indexes start at 0)")
        }
        self.index = index; self.count = count
    }

    /// `I/N` as `--shard` takes it: I from 0 to N-1.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw PipelineError.shard(message: "'\(text)' is not a shard: write I/N, e.g. 3/16 (I from 0 to N-1)")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// `0003-of-0016`: sorts in shard order and says how many there are.
    public var directoryName: String { Self.padded(index) + "-of-" + Self.padded(count) }

    static func padded(_ value: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The inverse of `directoryName`; nil for names that are not a shard's.
    public init?(directoryName name: String) {
        let parts = name.components(separatedBy: "-of-")
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let index = Int(parts[0]), let count = Int(parts[1]), let spec = try? ShardSpec(index: index, count: count),
              spec.directoryName == name else { return nil }
        self = spec
    }

    /// Whether the sample with this id belongs here: a hash of the id (not the id's own digits, which are a hash too),
    /// so that shards are balanced whatever the ids look like.
    public func owns(sampleId id: String) -> Bool {
        Self.shard(of: id, count: count) == index
    }

    static func shard(of id: String, count: Int) -> Int {
        let digest = SHA256.hex(Array("shard|\(id)".utf8))
        return Int(UInt64(digest.prefix(16), radix: 16)! % UInt64(count))
    }

    /// The shard a scheduler gives this process when `--shard` is absent: a Slurm array task (`SLURM_ARRAY_TASK_ID`
    /// of `count`, else of `SLURM_ARRAY_TASK_COUNT`) or a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, whose count
    /// Kubernetes does not say: `count` gives it). nil outside both. Arrays are numbered from 0; a task resubmitted
    /// alone (`--array=5`) sees a count of 1, so only `count` can say how many shards there are.
    public static func fromScheduler(_ environment: [String: String], count: Int?) throws -> ShardSpec? {
        func number(_ key: String) throws -> Int? {
            guard let text = environment[key] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw PipelineError.shard(message: "\(key)='\(text)' is not a number")
            }
            return value
        }
        if let task = try number("SLURM_ARRAY_TASK_ID") {
            if count == nil, let first = try number("SLURM_ARRAY_TASK_MIN"), first != 0 {
                throw PipelineError.shard(message: "the Slurm array starts at \(first) (SLURM_ARRAY_TASK_MIN): a task resubmitted alone, or an "
                                          + "array not numbered from 0; give the shard count with --shards N (deploy/slurm does)")
            }
            guard let total = try count ?? number("SLURM_ARRAY_TASK_COUNT") else {
                throw PipelineError.shard(message: "SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: give the count with --shards N")
            }
            return try ShardSpec(index: task, count: total)
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let count else {
                throw PipelineError.shard(message: "JOB_COMPLETION_INDEX is set but Kubernetes does not give the count: pass --shards N "
                                          + "(the Job's completions) or set `shards` in the recipe")
            }
            return try ShardSpec(index: index, count: count)
        }
        return nil
    }
}

/// Written last by a shard that finished its part of the pipeline; `merge` reads it, and a rerun of a finished shard
/// stops at it.
public struct ShardMarker: Codable, Sendable, Equatable {
    public var shard: String
    public var recipeHash: String
    public var pipelineLayout: String
    /// Items this shard collected, and every item of the inputs (all shards together).
    public var samples: Int
    public var collectedTotal: Int
    /// Samples its last stage kept, and how many of them have a stored embedding.
    public var kept: Int
    public var embedded: Int
    public var finished: String

    public static let fileName = "complete.json"

    public static func read(in directory: URL) throws -> ShardMarker? {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(ShardMarker.self, from: Data(contentsOf: url))
        } catch {
            throw PipelineError.input(path: url.path, message: "unreadable completion marker: \(error)")
        }
    }

    public func write(in directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: directory.appendingPathComponent(Self.fileName), options: .atomic)
    }
}
