// Second pass over the input: kept records go out byte for byte in input order; removed and rejected
// records go to the removed file, each wrapped with why:
//   {"index":I,"line":L,"cluster":C,"duplicate_of":J,"duplicate_of_line":LJ,"similarity":S,"eps":E,"record":{...}}
//   {"index":I,"line":L,"against":INDEX,"duplicate_of_id":ID,"duplicate_of_record":J,"duplicate_of_line":LJ,"similarity":S,"eps":E,"record":{...}}
//   {"index":I,"line":L,"rejected":"reason","record":{...}}   (or "raw":"..." when the record is not JSON)
// `index` is the 0-based record number, `line` the 1-based line it starts on.
import Foundation

/// The files one eps writes.
public struct DedupOutputPaths: Sendable, Equatable {
    public var eps: Double
    public var kept: URL
    public var removed: URL

    /// One eps writes OUTPUT and REMOVED as given (REMOVED defaults to OUTPUT with `.removed` before the
    /// extension); several eps insert `.eps<value>` before the extension of each, e.g. `out.eps0.05.jsonl`.
    public static func plan(output: URL, removed: URL?, eps: [Double]) -> [DedupOutputPaths] {
        let removedBase = removed ?? insertingSuffix(".removed", into: output)
        return eps.map { value in
            eps.count == 1
                ? DedupOutputPaths(eps: value, kept: output, removed: removedBase)
                : DedupOutputPaths(eps: value, kept: insertingSuffix(".eps\(value)", into: output),
                                   removed: insertingSuffix(".eps\(value)", into: removedBase))
        }
    }

    public static func insertingSuffix(_ suffix: String, into url: URL) -> URL {
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let name = ext.isEmpty ? stem + suffix : stem + suffix + "." + ext
        return url.deletingLastPathComponent().appendingPathComponent(name)
    }
}

public enum DedupOutputWriter {
    public static func write(_ report: DedupReport, to paths: [DedupOutputPaths]) throws {
        var itemOfRecord = [Int](repeating: -1, count: report.recordCount)
        for (item, record) in report.itemRecords.enumerated() { itemOfRecord[record] = item }
        var rejectionOfRecord: [Int: String] = [:]
        for rejection in report.rejections { rejectionOfRecord[rejection.index] = rejection.reason }

        var files = try paths.map { (try BufferedFile(url: $0.kept), try BufferedFile(url: $0.removed)) }
        let array = report.format == .jsonArray
        if array { for i in files.indices { try files[i].0.write(Array("[\n".utf8)) } }
        var keptSoFar = [Int](repeating: 0, count: paths.count)
        try RecordReader.forEach(report.input) { record in
            let head = "{\"index\":\(record.index),\"line\":\(record.line),"
            if let reason = rejectionOfRecord[record.index] {
                let entry = head + "\"rejected\":\(jsonString(reason)),\(embedded(record.bytes))}\n"
                for i in files.indices { try files[i].1.write(Array(entry.utf8)) }
                return
            }
            let item = itemOfRecord[record.index]
            for (i, path) in paths.enumerated() {
                if item >= 0, let old = report.repeatsOld(item, eps: path.eps) {
                    // A repeat of the corpus already shipped: the old record is the evidence.
                    let id = old.id.map { "\"duplicate_of_id\":\(jsonString($0))," } ?? ""
                    let entry = head + "\"against\":\(jsonString(report.againstSource ?? "")),\(id)\"duplicate_of_record\":\(old.record),"
                        + "\"duplicate_of_line\":\(old.line),\"similarity\":\(old.similarity),\"eps\":\(path.eps),\(embedded(record.bytes))}\n"
                    try files[i].1.write(Array(entry.utf8))
                } else if item >= 0 && report.scan.isRemoved(item, eps: path.eps) {
                    let match = report.itemRecords[report.scan.duplicateOf[item]]
                    let entry = head + "\"cluster\":\(report.scan.cluster[item]),\"duplicate_of\":\(match),"
                        + "\"duplicate_of_line\":\(report.lines[match]),\"similarity\":\(report.scan.maxSimilarity[item]),"
                        + "\"eps\":\(path.eps),\(embedded(record.bytes))}\n"
                    try files[i].1.write(Array(entry.utf8))
                } else {
                    if array && keptSoFar[i] > 0 { try files[i].0.write(Array(",\n".utf8)) }
                    try files[i].0.write(record.bytes)
                    if !array { try files[i].0.write([0x0A]) }
                    keptSoFar[i] += 1
                }
            }
        }
        for i in files.indices {
            if array { try files[i].0.write(Array((keptSoFar[i] > 0 ? "\n]\n" : "]\n").utf8)) }
            try files[i].0.close()
            try files[i].1.close()
        }
    }

    /// `"record":<the record>` when it parses as JSON (line breaks outside strings become spaces, so the
    /// entry stays one line), else `"raw":"<the bytes as text>"`.
    public static func embedded(_ bytes: [UInt8]) -> String {
        if String(validating: bytes, as: UTF8.self) != nil,
           (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil {
            let oneLine = bytes.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
            return "\"record\":" + String(decoding: oneLine, as: UTF8.self)
        }
        return "\"raw\":" + jsonString(String(decoding: bytes, as: UTF8.self))
    }

    public static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let s where s.value < 0x20: out += String(format: "\\u%04x", s.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// Appends bytes to a new file through a 1 MiB buffer.
public struct BufferedFile {
    public let url: URL
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    public init(url: URL) throws {
        self.url = url
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: url.path) else {
            throw DedupError.output(file: url.path, reason: "cannot create the file")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    public mutating func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        if buffer.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch {
            throw DedupError.output(file: url.path, reason: error.localizedDescription)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public mutating func close() throws {
        try flush()
        try handle.close()
    }
}
