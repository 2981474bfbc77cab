// collect: reads natural code from files, directories, JSONL and HumanEval-style records into samples.
// Every input item becomes a sample; items that cannot be used are rejected here with a reason and place.
import Foundation
import ModelFiles
import Store

struct CollectedItem {
    var source: String
    var line: Int
    var entryPoint: String
    var code: String
    var givenInstruction: String?
    var module: ModuleLocation?
    /// Set when the item is rejected at collect.
    var rejection: (reason: String, detail: String)?
}

enum Collector {
    static let maxFileBytes = 2 << 20

    /// Reads every input of the recipe, in order. Unreadable inputs throw (the run cannot mean anything without them).
    static func collect(_ inputs: [Recipe.InputSpec], limit: Int?) throws -> [CollectedItem] {
        var items: [CollectedItem] = []
        for input in inputs {
            let path = input.path == "stdlib" ? try standardLibraryPath() : input.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw PipelineError.input(path: path, message: "input not found")
            }
            let format = input.format == "auto" ? (isDirectory.boolValue || path.hasSuffix(".py") ? "python" : "jsonl") : input.format
            switch format {
            case "python": items += try pythonFiles(at: path, isDirectory: isDirectory.boolValue)
            case "jsonl", "humaneval": items += try jsonLines(at: path, spec: input, humanEval: format == "humaneval")
            default: throw PipelineError.input(path: path, message: "unknown input format '\(format)' (python, jsonl, humaneval)")
            }
            if let limit, items.count >= limit { return Array(items.prefix(limit)) }
        }
        return items
    }

    static func standardLibraryPath() throws -> String {
        for candidate in ["/usr/lib/python3.11", "/usr/lib/python3"] where FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        throw PipelineError.input(path: "stdlib", message: "no Python standard library found under /usr/lib")
    }

    // MARK: - Python sources

    static func pythonFiles(at path: String, isDirectory: Bool) throws -> [CollectedItem] {
        var paths: [String] = []
        if isDirectory {
            let enumerator = FileManager.default.enumerator(atPath: path)
            while let relative = enumerator?.nextObject() as? String {
                if relative.hasSuffix(".py") { paths.append((path as NSString).appendingPathComponent(relative)) }
            }
            paths.sort()
        } else {
            paths = [path]
        }
        var items: [CollectedItem] = []
        var readable: [(path: String, text: String)] = []
        func flush() throws {
            guard !readable.isEmpty else { return }
            for file in try PythonTools.extract(files: readable) { items += itemsOf(file) }
            readable.removeAll()
        }
        for file in paths {
            guard let data = FileManager.default.contents(atPath: file) else {
                items.append(rejected(file, 0, "unreadable", "cannot read the file"))
                continue
            }
            if data.count > maxFileBytes {
                items.append(rejected(file, 0, "file-too-large", "\(data.count) bytes; the limit is \(maxFileBytes)"))
            } else if data.contains(0) {
                items.append(rejected(file, 0, "binary-file", "contains NUL bytes"))
            } else if let text = String(data: data, encoding: .utf8) {
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    items.append(rejected(file, 0, "empty", "the file holds no code"))
                } else {
                    readable.append((file, text))
                    if readable.count >= 200 { try flush() }
                }
            } else {
                let offset = firstInvalidUTF8(data)
                items.append(rejected(file, lineOf(offset: offset, in: data), "not-utf8", "invalid UTF-8 at byte offset \(offset)"))
            }
        }
        try flush()
        return items
    }

    static func itemsOf(_ file: ExtractedFile) -> [CollectedItem] {
        if let error = file.error {
            return [rejected(file.path, error.line, error.reason, error.detail)]
        }
        let module = ModuleLocator.locate(file: file.path)
        var items = (file.items ?? []).map {
            CollectedItem(source: file.path, line: $0.line, entryPoint: $0.name, code: $0.code, module: module)
        }
        items += (file.skipped ?? []).map { rejected(file.path, $0.line, $0.reason, "\($0.name): \($0.detail)") }
        if items.isEmpty { items.append(rejected(file.path, 1, "no-functions", "no top-level function in the file")) }
        return items.sorted { $0.line < $1.line }
    }

    // MARK: - JSON lines

    static func jsonLines(at path: String, spec: Recipe.InputSpec, humanEval: Bool) throws -> [CollectedItem] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError.input(path: path, message: "cannot read the file")
        }
        var items: [CollectedItem] = []
        var pendingCode: [(index: Int, text: String, entry: String?)] = []
        var lineNumber = 0
        for rawLine in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if rawLine.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            guard let text = String(data: Data(rawLine), encoding: .utf8) else {
                items.append(rejected(path, lineNumber, "not-utf8", "invalid UTF-8 at byte \(firstInvalidUTF8(Data(rawLine))) of the line"))
                continue
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                items.append(rejected(path, lineNumber, "malformed-json", "not a JSON object: \(text.prefix(80))"))
                continue
            }
            let codeField = humanEval ? "prompt" : spec.codeField
            guard let value = object[codeField] else {
                items.append(rejected(path, lineNumber, "missing-field", "no field '\(codeField)'"))
                continue
            }
            guard var code = value as? String else {
                items.append(rejected(path, lineNumber, "wrong-type", "field '\(codeField)' is not a string"))
                continue
            }
            if humanEval { code += (object["canonical_solution"] as? String) ?? "" }
            if code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                items.append(rejected(path, lineNumber, "empty", "field '\(codeField)' is empty"))
                continue
            }
            let entry = humanEval ? object["entry_point"] as? String : spec.entryField.flatMap { object[$0] as? String }
            var item = CollectedItem(source: path, line: lineNumber, entryPoint: entry ?? "", code: code)
            item.givenInstruction = spec.instructionField.flatMap { object[$0] as? String }
            items.append(item)
            pendingCode.append((items.count - 1, code, entry))
        }
        // One extraction for all records: it finds the entry point and checks that the record parses.
        let extracted = try PythonTools.extract(files: pendingCode.map { (path: "\(path):\(items[$0.index].line)", text: $0.text) })
        for (pending, file) in zip(pendingCode, extracted) {
            if let error = file.error {
                items[pending.index].rejection = (error.reason, "line \(error.line) of the record: \(error.detail)")
                continue
            }
            let functions = file.items ?? []
            let chosen = pending.entry.map { name in functions.first { $0.name == name } } ?? functions.last
            guard let chosen else {
                let reason = pending.entry == nil ? "no-functions" : "entry-point-missing"
                items[pending.index].rejection = (reason, pending.entry.map { "no top-level function '\($0)'" } ?? "no top-level function")
                continue
            }
            items[pending.index].entryPoint = chosen.name
            // The extracted snippet holds the function with the imports and definitions it uses.
            items[pending.index].code = chosen.code
        }
        return items
    }

    // MARK: - helpers

    static func rejected(_ source: String, _ line: Int, _ reason: String, _ detail: String) -> CollectedItem {
        CollectedItem(source: source, line: line, entryPoint: "", code: "", rejection: (reason, detail))
    }

    static func firstInvalidUTF8(_ data: Data) -> Int {
        var offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): offset += String(scalar).utf8.count
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    static func lineOf(offset: Int, in data: Data) -> Int {
        data.prefix(offset).reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    /// A stable id from where an item came from and what it holds.
    static func sampleId(_ item: CollectedItem) -> String {
        String(SHA256.hex(Array("\(item.source)|\(item.line)|\(item.entryPoint)|\(item.code)".utf8)).prefix(16))
    }
}

/// The module a collected file is, as Python would import it: the package directories above it (those with an
/// `__init__.py`) give the dotted name, and the first directory above them is put on the path.
enum ModuleLocator {
    static func locate(file path: String) -> ModuleLocation? {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        guard url.pathExtension == "py" else { return nil }
        var parts = [url.deletingPathExtension().lastPathComponent]
        if parts[0] == "__init__" { parts.removeAll() }
        var directory = url.deletingLastPathComponent()
        let fileManager = FileManager.default
        while fileManager.fileExists(atPath: directory.appendingPathComponent("__init__.py").path), directory.path != "/" {
            parts.insert(directory.lastPathComponent, at: 0)
            directory = directory.deletingLastPathComponent()
        }
        // `__main__` modules run their program when imported; a name that is not an identifier cannot be imported.
        guard !parts.isEmpty, parts.last != "__main__", parts.allSatisfy(isIdentifier) else { return nil }
        return ModuleLocation(name: parts.joined(separator: "."), root: directory.path)
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }
}

struct CollectStage {
    /// Collects once per run: the samples and collect's decisions are written in one transaction.
    static func run(context: StageContext, inputs: [Recipe.InputSpec], limit: Int?) throws -> Int {
        if try context.store.meta("collect.done") != nil { return try context.store.sampleCount() }
        let items = try Collector.collect(inputs, limit: limit)
        var samples: [SampleRecord] = []
        var commits: [StageCommit] = []
        var seen = Set<String>()
        for (ordinal, item) in items.enumerated() {
            var id = Collector.sampleId(item)
            // The same function at the same place twice (an input listed twice) still counts as two items.
            while seen.contains(id) { id = String(SHA256.hex(Array((id + "+").utf8)).prefix(16)) }
            seen.insert(id)
            samples.append(SampleRecord(id: id, ordinal: ordinal, source: item.source, line: item.line,
                                        entryPoint: item.entryPoint, code: item.code, givenInstruction: item.givenInstruction,
                                        moduleName: item.module?.name, moduleRoot: item.module?.root))
            let outcome = item.rejection.map {
                OutcomeRecord(sampleId: id, stage: StageName.collect.rawValue, kept: false, reason: $0.reason,
                              detail: "\(item.source):\(item.line): \($0.detail)")
            } ?? OutcomeRecord(sampleId: id, stage: StageName.collect.rawValue, kept: true)
            commits.append(StageCommit(outcome: outcome))
        }
        try context.store.insertSamples(samples)
        try context.store.commit(commits)
        try context.store.setMeta("collect.done", "\(items.count)")
        return items.count
    }
}
