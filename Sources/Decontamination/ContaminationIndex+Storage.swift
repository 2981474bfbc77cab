// The index on disk, keyed by the content of the benchmark files and the parameters: built once, then read back
// as the flat arrays it is made of. A file that does not read back whole is ignored and rebuilt.
import Foundation
import ModelFiles

public struct LoadedIndex: Sendable {
    public var index: ContaminationIndex
    /// The cache file, and whether it was read (true) or written (false) by this load.
    public var file: URL
    public var fromCache: Bool
    /// Problems per benchmark, in the order given.
    public var problemCounts: [(benchmark: String, problems: Int)]
}

public enum ContaminationIndexStore {
    // Change it whenever normalization or hashing changes: cached indexes of the old reading must not be used.
    static let formatVersion = "semi-instruct decontamination index 7"
    public static var defaultDirectory: URL { ModelCache.root.appendingPathComponent("decontamination", isDirectory: true) }

    nonisolated(unsafe) static var memory: [String: LoadedIndex] = [:]
    /// File digests by path, size and modification time: a build checks its benchmarks on every batch.
    nonisolated(unsafe) static var digests: [String: String] = [:]
    static let lock = NSLock()

    static func digest(of url: URL) throws -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let stamp = "\(url.path)\u{0}\(attributes?[.size] as? Int ?? -1)\u{0}\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)"
        if let known = lock.withLock({ digests[stamp] }) { return known }
        let digest = try SHA256.hex(fileAt: url)
        lock.withLock { digests[stamp] = digest }
        return digest
    }

    /// The index of these benchmarks: from this process's memory, from the cache directory, or built and written there.
    public static func load(_ sources: [BenchmarkSource], parameters: DecontaminationParameters,
                            directory: URL = defaultDirectory) throws -> LoadedIndex {
        if let problem = parameters.problem { throw DecontaminationError.benchmark(path: "decontaminate", line: nil, message: problem) }
        var identity = SHA256()
        identity.update(Array(formatVersion.utf8))
        identity.update(Array(encode(parameters).utf8))
        var resolved: [(source: BenchmarkSource, url: URL, fields: BenchmarkFields)] = []
        for source in sources {
            let (url, fields) = try source.resolved()
            guard FileManager.default.isReadableFile(atPath: url.path) else {
                throw DecontaminationError.benchmark(path: url.path, line: nil, message: "not found or unreadable")
            }
            let digest = try digest(of: url)
            if let builtIn = BuiltInBenchmark.named(source.name), source.path == nil, digest != builtIn.sha256 {
                throw DecontaminationError.benchmark(path: url.path, line: nil,
                                                     message: "checksum \(digest) is not \(builtIn.name)'s (\(builtIn.sha256)); run `make setup` again")
            }
            identity.update(Array("\(source.name)\u{0}\(encode(fields))\u{0}\(digest)\u{0}".utf8))
            resolved.append((source, url, fields))
        }
        let key = String(identity.finalize().prefix(24))
        let file = directory.appendingPathComponent("\(key).index")
        lock.lock(); defer { lock.unlock() }
        if let loaded = memory[file.path] { return loaded }
        var loaded: LoadedIndex
        if let data = FileManager.default.contents(atPath: file.path), let stored = try? decode(data, parameters: parameters, key: key) {
            loaded = LoadedIndex(index: stored.index, file: file, fromCache: true, problemCounts: stored.counts)
        } else {
            var problems: [BenchmarkProblem] = []
            var counts: [(String, Int)] = []
            for entry in resolved {
                let read = try BenchmarkReader.read(entry.url, name: entry.source.name, fields: entry.fields)
                problems += read
                counts.append((entry.source.name, read.count))
            }
            let index = ContaminationIndex(problems: problems, parameters: parameters)
            try write(encode(index, counts: counts, key: key), to: file)
            loaded = LoadedIndex(index: index, file: file, fromCache: false, problemCounts: counts)
        }
        memory[file.path] = loaded
        return loaded
    }

    /// Writes beside the file, then renames over it (rename(2) replaces atomically): processes building the same index
    /// at once each leave a whole file, and a reader never sees half of one.
    static func write(_ data: Data, to file: URL) throws {
        let directory = file.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(file.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UUID().uuidString).tmp")
        defer { try? FileManager.default.removeItem(at: temporary) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try data.write(to: temporary)
        } catch {
            throw DecontaminationError.benchmark(path: directory.path, line: nil, message: "cannot write the index cache: \(error.localizedDescription)")
        }
        guard rename(temporary.path, file.path) == 0 else {
            throw DecontaminationError.benchmark(path: file.path, line: nil, message: "cannot write the index cache: \(String(cString: strerror(errno)))")
        }
    }

    /// Forgets indexes held in memory (so a test can see the cache file read back).
    public static func forgetLoaded() { lock.lock(); memory.removeAll(); lock.unlock() }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    struct Header: Codable {
        /// The cache key the file was written under: a file copied over another key's is refused.
        var key: String
        var parameters: DecontaminationParameters
        var problems: [ContaminationIndex.Problem]
        var shortLengths: [Int]
        var benchmarks: [String]
        var counts: [Int]
    }

    static func encode(_ index: ContaminationIndex, counts: [(String, Int)], key: String) -> Data {
        var out = BinaryWriter()
        out.bytes(Array(formatVersion.utf8))
        out.bytes(Array(encode(Header(key: key, parameters: index.parameters, problems: index.problems, shortLengths: index.shortLengths,
                                      benchmarks: counts.map(\.0), counts: counts.map(\.1))).utf8))
        for table in [index.ngrams, index.bodyStarts, index.entryPoints] {
            out.words(table.keys)
            out.ints(table.values)
            out.count(table.lists.count)
            for list in table.lists { out.ints(list) }
            out.count(table.count)
        }
        for lists in [index.bodies, index.shapes] {
            out.count(lists.count)
            for list in lists { out.words(list) }
        }
        return Data(out.data)
    }

    /// Reads an index back; anything that does not fit (lengths, problem numbers out of range, a full table, other
    /// parameters) is refused, and the caller rebuilds.
    static func decode(_ data: Data, parameters: DecontaminationParameters, key: String) throws -> (index: ContaminationIndex, counts: [(benchmark: String, problems: Int)]) {
        var input = BinaryReader(data: [UInt8](data))
        guard try input.bytes() == Array(formatVersion.utf8) else { throw BinaryReader.Truncated() }
        let header = try JSONDecoder().decode(Header.self, from: Data(try input.bytes()))
        let problems = header.problems.count
        guard header.key == key, header.parameters == parameters, header.counts.reduce(0, +) == problems,
              header.shortLengths.allSatisfy({ $0 >= 1 && $0 < parameters.ngram }) else { throw BinaryReader.Truncated() }
        var tables: [HashTable] = []
        for _ in 0..<3 {
            let keys = try input.words(), values = try input.ints()
            var lists: [[Int32]] = []
            for _ in 0..<(try input.count()) { lists.append(try input.ints()) }
            let count = try input.count()
            guard keys.count == values.count, keys.count.nonzeroBitCount == 1, count < keys.count,
                  keys.filter({ $0 != 0 }).count == count,
                  values.allSatisfy({ $0 >= 0 ? Int($0) < problems : Int(-$0 - 1) < lists.count }),
                  lists.allSatisfy({ $0.allSatisfy { $0 >= 0 && Int($0) < problems } }) else { throw BinaryReader.Truncated() }
            tables.append(HashTable(keys: keys, values: values, lists: lists, count: count))
        }
        var lists: [[[UInt64]]] = []
        for _ in 0..<2 {
            var group: [[UInt64]] = []
            for _ in 0..<(try input.count()) { group.append(try input.words()) }
            lists.append(group)
        }
        guard input.atEnd, lists[0].count == problems, lists[1].count == problems,
              lists[0].allSatisfy({ $0.isEmpty || $0.count >= parameters.substringMinTokens }) else { throw BinaryReader.Truncated() }
        let index = ContaminationIndex(parameters: header.parameters, problems: header.problems, ngrams: tables[0],
                                       shortLengths: header.shortLengths, bodyStarts: tables[1],
                                       bodies: lists[0], entryPoints: tables[2], shapes: lists[1])
        return (index, zip(header.benchmarks, header.counts).map { pair in (benchmark: pair.0, problems: pair.1) })
    }
}

/// Little-endian lengths and arrays.
struct BinaryWriter {
    var data: [UInt8] = []
    mutating func count(_ value: Int) { withUnsafeBytes(of: UInt64(value).littleEndian) { data.append(contentsOf: $0) } }
    mutating func bytes(_ value: [UInt8]) { count(value.count); data.append(contentsOf: value) }
    mutating func words(_ value: [UInt64]) { count(value.count); value.withUnsafeBytes { data.append(contentsOf: $0) } }
    mutating func ints(_ value: [Int32]) { count(value.count); value.withUnsafeBytes { data.append(contentsOf: $0) } }
}

struct BinaryReader {
    struct Truncated: Error {}
    let data: [UInt8]
    var offset = 0
    var atEnd: Bool { offset == data.count }

    mutating func count() throws -> Int {
        guard offset + 8 <= data.count else { throw Truncated() }
        var value: UInt64 = 0
        for k in 0..<8 { value |= UInt64(data[offset + k]) << (8 * k) }
        offset += 8
        guard value <= UInt64(data.count) else { throw Truncated() }
        return Int(value)
    }

    mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, offset + n <= data.count else { throw Truncated() }
        defer { offset += n }
        return data[offset..<offset + n]
    }

    mutating func bytes() throws -> [UInt8] { Array(try take(try count())) }

    mutating func words() throws -> [UInt64] {
        let slice = try take(try count() * 8)
        return slice.withUnsafeBytes { raw in (0..<slice.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) } }
    }

    mutating func ints() throws -> [Int32] {
        let slice = try take(try count() * 4)
        return slice.withUnsafeBytes { raw in (0..<slice.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) } }
    }
}
