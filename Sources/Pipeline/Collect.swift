// collect: reads natural code from files, directories, JSONL and HumanEval-style records into samples.
// Every input item becomes a sample; items that cannot be used are rejected here with a reason and place.
import Foundation
import ModelFiles
import Store

struct CollectedItem {
    var source: String
    var line: Int
    var entryPoint: String
    /// function, nested, static, class or instance.
    var kind: String = "function"
    var code: String
    var givenInstruction: String?
    var module: ModuleLocation?
    /// The repository it belongs to, the commit when known, and the file's licence with where it was read.
    var repository: RepositoryInfo?
    var license: LicenseFinding?
    /// Set when the item is rejected at collect.
    var rejection: (reason: RejectionReason, detail: String)?
}

enum Collector {
    static let maxFileBytes = 2 << 20

    /// Reads every input of the recipe, in order. Unreadable inputs throw (the run cannot mean anything without them).
    /// `limit` counts candidates: items are read until that many pass collect, and the ones rejected on the way are kept
    /// with their reasons.
    /// Archives are unpacked under `workspace` (the run directory); `licenses` is the recipe's allow-list.
    static func collect(_ inputs: [Recipe.InputSpec], limit: Int?, workspace: URL? = nil,
                        licenses: Recipe.LicenseSettings = .init(), kinds: [String] = Recipe.CollectSettings.allKinds,
                        wholeClassMaxLines: Int = .max) throws -> [CollectedItem] {
        var items: [CollectedItem] = []
        func candidates() -> Int { items.lazy.filter { $0.rejection == nil }.count }
        for input in inputs {
            var path = input.path == "stdlib" ? try standardLibraryPath() : input.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw PipelineError.input(path: path, message: "input not found")
            }
            var repository = RepositoryInfo.of(input: path)
            if Archive.isArchive(path), input.format == "auto" || input.format == "python" {
                guard let workspace else { throw PipelineError.input(path: path, message: "an archive needs a run directory to unpack into") }
                repository = RepositoryInfo(name: Archive.baseName(path), revision: nil)
                path = try Archive.unpack(path, into: workspace).path
                isDirectory = true
            }
            let format = input.format == "auto" ? (isDirectory.boolValue || path.hasSuffix(".py") ? "python" : "jsonl") : input.format
            let remaining = limit.map { $0 - candidates() }
            var found: [CollectedItem]
            switch format {
            case "python":
                found = try pythonFiles(at: path, isDirectory: isDirectory.boolValue, candidates: remaining,
                                        licenses: LicenseFinder(root: path), allowed: licenses, kinds: kinds,
                                        wholeClassMaxLines: wholeClassMaxLines)
            case "jsonl", "humaneval": found = try jsonLines(at: path, spec: input, humanEval: format == "humaneval")
            default: throw PipelineError.input(path: path, message: "unknown input format '\(format)' (python, jsonl, humaneval)")
            }
            for index in found.indices {
                found[index].source = relativeSource(found[index].source, input: path)
                found[index].repository = repository
                // Records carry no licence of their own: with an allow-list they are unknown.
                if format != "python", found[index].rejection == nil, let refusal = licenses.refusal(of: nil) {
                    found[index].rejection = refusal
                }
            }
            items += found
            if let limit, candidates() >= limit { return upTo(limit, candidatesOf: items) }
        }
        return items
    }

    /// Where an item came from as data may say it: relative to the input, under the input's own name
    /// (`shapes/geometry.py` for the input `/home/me/src/shapes`), never the builder's directory layout.
    static func relativeSource(_ path: String, input: String) -> String {
        let root = URL(fileURLWithPath: input).standardizedFileURL
        let file = URL(fileURLWithPath: path).standardizedFileURL
        let rootParts = root.pathComponents, fileParts = file.pathComponents
        guard fileParts.starts(with: rootParts) else { return file.lastPathComponent }
        return ([root.lastPathComponent] + fileParts.dropFirst(rootParts.count)).joined(separator: "/")
    }

    /// The items up to and including the `limit`-th candidate.
    static func upTo(_ limit: Int, candidatesOf items: [CollectedItem]) -> [CollectedItem] {
        var seen = 0
        for (index, item) in items.enumerated() where item.rejection == nil {
            seen += 1
            if seen == limit { return Array(items.prefix(index + 1)) }
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

    /// Files are read in path order, in groups; with `candidates` set, reading stops once that many items passed.
    static func pythonFiles(at path: String, isDirectory: Bool, candidates: Int? = nil, licenses: LicenseFinder? = nil,
                            allowed: Recipe.LicenseSettings = .init(), kinds: [String] = Recipe.CollectSettings.allKinds,
                            wholeClassMaxLines: Int = .max) throws -> [CollectedItem] {
        var paths: [String] = []
        var items: [CollectedItem] = []
        if isDirectory {
            let listing = SourceTree.pythonFiles(under: path)
            paths = listing.files
            items += listing.skipped.map { rejected($0.path, 0, $0.reason, $0.detail) }
        } else {
            paths = [path]
        }
        var readable: [(path: String, text: String, module: String?)] = []
        var fileLicenses: [String: LicenseFinding] = [:]
        var found = 0
        func flush() throws {
            guard !readable.isEmpty else { return }
            // A class longer than a sample may be stays its methods' samples.
            let wholeClasses = kinds.contains("whole-class") ? wholeClassMaxLines : nil
            for file in try PythonTools.extract(files: readable, wholeClassMaxLines: wholeClasses) {
                var fileItems = itemsOf(file)
                for index in fileItems.indices {
                    fileItems[index].license = fileLicenses[file.path]
                    if fileItems[index].rejection == nil, !kinds.contains(fileItems[index].kind) {
                        fileItems[index].rejection = (.kindNotCollected, "its kind is \(fileItems[index].kind); the recipe collects \(kinds.joined(separator: ", "))")
                    }
                    if fileItems[index].rejection == nil, let refusal = allowed.refusal(of: fileLicenses[file.path]) {
                        fileItems[index].rejection = refusal
                    }
                }
                items += fileItems
                found += fileItems.filter { $0.rejection == nil }.count
            }
            readable.removeAll()
        }
        // With a limit, small groups first: a first look at a large tree should not wait for all of it.
        var group = candidates == nil ? 200 : 16
        for file in paths {
            if let candidates, found >= candidates { break }
            guard let data = FileManager.default.contents(atPath: file) else {
                items.append(rejected(file, 0, .unreadable, "cannot read the file"))
                continue
            }
            if data.count > maxFileBytes {
                items.append(rejected(file, 0, .fileTooLarge, "\(data.count) bytes; the limit is \(maxFileBytes)"))
            } else if data.contains(0) {
                items.append(rejected(file, 0, .binaryFile, "contains NUL bytes"))
            } else if let text = String(data: data, encoding: .utf8) {
                if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    items.append(rejected(file, 0, .empty, "the file holds no code"))
                } else if let why = SourceTree.generated(name: URL(fileURLWithPath: file).lastPathComponent, text: text) {
                    items.append(rejected(file, 0, .generated, why))
                } else {
                    if let license = licenses?.license(of: file, text: text) { fileLicenses[file] = license }
                    readable.append((file, text, ModuleLocator.locate(file: file)?.name))
                    if readable.count >= group {
                        try flush()
                        group = min(200, group * 2)
                    }
                }
            } else {
                let offset = firstInvalidUTF8(data)
                items.append(rejected(file, lineOf(offset: offset, in: data), .notUTF8, "invalid UTF-8 at byte offset \(offset)"))
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
            CollectedItem(source: file.path, line: $0.line, entryPoint: $0.name, kind: $0.kind ?? "function", code: $0.code, module: module)
        }
        items += (file.skipped ?? []).map { rejected(file.path, $0.line, $0.reason, "\($0.name): \($0.detail)") }
        if items.isEmpty { items.append(rejected(file.path, 1, .noFunctions, "no top-level function in the file")) }
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
                items.append(rejected(path, lineNumber, .notUTF8, "invalid UTF-8 at byte \(firstInvalidUTF8(Data(rawLine))) of the line"))
                continue
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                items.append(rejected(path, lineNumber, .malformedJSON, "not a JSON object: \(text.prefix(80))"))
                continue
            }
            let codeField = humanEval ? "prompt" : spec.codeField
            guard let value = object[codeField] else {
                items.append(rejected(path, lineNumber, .missingField, "no field '\(codeField)'"))
                continue
            }
            guard var code = value as? String else {
                items.append(rejected(path, lineNumber, .wrongType, "field '\(codeField)' is not a string"))
                continue
            }
            if humanEval { code += (object["canonical_solution"] as? String) ?? "" }
            if code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                items.append(rejected(path, lineNumber, .empty, "field '\(codeField)' is empty"))
                continue
            }
            let entry = humanEval ? object["entry_point"] as? String : spec.entryField.flatMap { object[$0] as? String }
            var item = CollectedItem(source: path, line: lineNumber, entryPoint: entry ?? "", code: code)
            item.givenInstruction = spec.instructionField.flatMap { object[$0] as? String }
            items.append(item)
            pendingCode.append((items.count - 1, code, entry))
        }
        // One extraction for all records: it finds the entry point and checks that the record parses.
        let extracted = try PythonTools.extract(files: pendingCode.map { (path: "\(path):\(items[$0.index].line)", text: $0.text, module: nil) })
        for (pending, file) in zip(pendingCode, extracted) {
            if let error = file.error {
                items[pending.index].rejection = (error.reason, "line \(error.line) of the record: \(error.detail)")
                continue
            }
            let functions = file.items ?? []
            // Without a named entry point, a record's last top-level function is its sample.
            let chosen = pending.entry.map { name in functions.first { $0.name == name } }
                ?? (functions.last { ($0.kind ?? "function") == "function" } ?? functions.last)
            guard let chosen else {
                let reason: RejectionReason = pending.entry == nil ? .noFunctions : .entryPointMissing
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

    static func rejected(_ source: String, _ line: Int, _ reason: RejectionReason, _ detail: String) -> CollectedItem {
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

    /// The id of the next copy of an item whose id is taken (the same function at the same place read twice).
    static func nextSampleId(after id: String) -> String {
        String(SHA256.hex(Array((id + "+").utf8)).prefix(16))
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
    /// Collects once per run: the samples and collect's decisions are written in one transaction. A shard reads every
    /// input (ordinals stay those of the whole) and keeps the items it owns.
    static func run(context: StageContext, inputs: [Recipe.InputSpec], limit: Int?, shard: ShardSpec? = nil) throws -> Int {
        if try context.store.meta("collect.done") != nil { return try context.store.sampleCount() }
        let items = try Collector.collect(inputs, limit: limit, workspace: context.runDirectory, licenses: context.recipe.licenses,
                                          kinds: context.recipe.collect.kinds, wholeClassMaxLines: context.recipe.prefilter.maxLines)
        var samples: [SampleRecord] = []
        var commits: [StageCommit] = []
        var seen = Set<String>()
        for (ordinal, item) in items.enumerated() {
            var id = Collector.sampleId(item)
            // The same function at the same place twice (an input listed twice) still counts as two items.
            while seen.contains(id) { id = Collector.nextSampleId(after: id) }
            seen.insert(id)
            if let shard, !shard.owns(sampleId: id) { continue }
            samples.append(SampleRecord(id: id, ordinal: ordinal, source: item.source, line: item.line,
                                        entryPoint: item.entryPoint, code: item.code, givenInstruction: item.givenInstruction,
                                        moduleName: item.module?.name, moduleRoot: item.module?.root,
                                        repository: item.repository?.name, revision: item.repository?.revision,
                                        license: item.license?.spdx, licenseSource: item.license?.evidence))
            let outcome = item.rejection.map {
                OutcomeRecord(sampleId: id, stage: StageName.collect.rawValue, kept: false, reason: $0.reason.rawValue,
                              detail: "\(item.source):\(item.line): \($0.detail)")
            } ?? OutcomeRecord(sampleId: id, stage: StageName.collect.rawValue, kept: true)
            commits.append(StageCommit(outcome: outcome))
        }
        try context.store.insertSamples(samples)
        try context.store.commit(commits)
        try context.store.setMeta("collect.total", "\(items.count)")
        if let shard {
            try context.store.setMeta("shard", shard.description)
            try context.store.setMeta("collect.module-roots", jsonText(Set(items.compactMap { $0.module?.root }).sorted()))
        }
        try context.store.setMeta("collect.done", "\(samples.count)")
        return samples.count
    }
}
