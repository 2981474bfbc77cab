// `decontaminate` for an existing corpus: every record's named fields checked against the index; kept records
// written byte for byte in input order, removed ones with their evidence:
//   {"index":I,"line":L,"contaminated":{benchmark, problem, method, field, span, matches[, similarity]},"record":{...}}
//   {"index":I,"line":L,"rejected":"reason","record":{...}}   (or "raw":"..." when the record is not JSON)
import Dedup
import Foundation

/// A field to check and how to read it.
public struct CorpusField: Sendable, Equatable {
    public var name: String
    public var kind: TextKind
    public init(name: String, kind: TextKind) { self.name = name; self.kind = kind }
}

public struct CorpusDecontaminationReport: Sendable {
    public var records = 0
    public var kept = 0
    /// Removed records per benchmark.
    public var removedByBenchmark: [String: Int] = [:]
    public var removedByMethod: [String: Int] = [:]
    public var rejected = 0
    public var seconds = 0.0
    public var removed: Int { removedByBenchmark.values.reduce(0, +) }
}

public enum CorpusDecontamination {
    public static func run(input: URL, fields: [CorpusField], index: ContaminationIndex, output: URL, removed: URL,
                           workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                           progress: ((Int) -> Void)? = nil) throws -> CorpusDecontaminationReport {
        let start = Date()
        let array = try RecordReader.format(of: input) == .jsonArray
        var kept = try BufferedFile(url: output)
        var removedFile = try BufferedFile(url: removed)
        if array { try kept.write(Array("[\n".utf8)) }
        var report = CorpusDecontaminationReport()
        var batch: [InputRecord] = []
        func flush() throws {
            let verdicts = check(batch, fields: fields, index: index, workers: workers)
            for (record, verdict) in zip(batch, verdicts) {
                let head = "{\"index\":\(record.index),\"line\":\(record.line),"
                switch verdict {
                case .clean:
                    if array && report.kept > 0 { try kept.write(Array(",\n".utf8)) }
                    try kept.write(record.bytes)
                    if !array { try kept.write([0x0A]) }
                    report.kept += 1
                case let .contaminated(match):
                    let evidence = String(decoding: try JSONEncoder.sorted.encode(match), as: UTF8.self)
                    try removedFile.write(Array((head + "\"contaminated\":\(evidence),\(DedupOutputWriter.embedded(record.bytes))}\n").utf8))
                    report.removedByBenchmark[match.benchmark, default: 0] += 1
                    report.removedByMethod[match.method.rawValue, default: 0] += 1
                case let .rejected(reason):
                    try removedFile.write(Array((head + "\"rejected\":\(DedupOutputWriter.jsonString(reason)),\(DedupOutputWriter.embedded(record.bytes))}\n").utf8))
                    report.rejected += 1
                }
            }
            report.records += batch.count
            progress?(report.records)
            batch.removeAll(keepingCapacity: true)
        }
        try RecordReader.forEach(input) { record in
            batch.append(record)
            if batch.count == 4096 { try flush() }
        }
        try flush()
        if array { try kept.write(Array((report.kept > 0 ? "\n]\n" : "]\n").utf8)) }
        try kept.close()
        try removedFile.close()
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    enum Verdict: Sendable { case clean, contaminated(ContaminationMatch), rejected(String) }

    static func check(_ records: [InputRecord], fields: [CorpusField], index: ContaminationIndex, workers: Int) -> [Verdict] {
        var verdicts = [Verdict](repeating: .clean, count: records.count)
        let chunks = max(1, min(workers, records.count / 64 + 1))
        verdicts.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let range = (records.count * chunk / chunks)..<(records.count * (chunk + 1) / chunks)
                for i in range { out[i] = verdict(records[i], fields: fields, index: index) }
            }
        }
        return verdicts
    }

    static func verdict(_ record: InputRecord, fields: [CorpusField], index: ContaminationIndex) -> Verdict {
        guard String(validating: record.bytes, as: UTF8.self) != nil else { return .rejected("not UTF-8") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(record.bytes)) else { return .rejected("malformed JSON") }
        guard let values = object as? [String: Any] else { return .rejected("not a JSON object") }
        for field in fields {
            guard let value = values[field.name] else { return .rejected("missing field '\(field.name)'") }
            guard let text = value as? String else { return .rejected("field '\(field.name)' is not a string") }
            if let match = index.check(text, as: field.kind, field: field.name) { return .contaminated(match) }
        }
        return .clean
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
