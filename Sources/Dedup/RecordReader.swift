// Reads a corpus record by record, keeping each record's exact bytes so kept records are written out
// unchanged. JSON Lines or one JSON array, either one optionally gzip-compressed (zlib, in-process).
import CZlib
import Foundation

/// One record of the input: its position, the line it starts on, and its bytes exactly as read.
public struct InputRecord: Sendable {
    /// 0-based position among the input's records (blank lines are not records).
    public var index: Int
    /// 1-based line the record starts on.
    public var line: Int
    /// The record's bytes without the line terminator (JSON Lines) or separators (JSON array).
    public var bytes: [UInt8]
}

public enum InputFormat: String, Sendable {
    case jsonLines = "JSON Lines"
    case jsonArray = "JSON array"
}

public enum RecordReader {
    /// JSON array when the first non-blank byte is `[`, JSON Lines otherwise (a JSON Lines record is an object).
    public static func format(of url: URL) throws -> InputFormat {
        var format = InputFormat.jsonLines
        try GzipFile.readChunks(url) { chunk in
            guard let first = chunk.first(where: { !isBlank($0) }) else { return true }
            format = first == UInt8(ascii: "[") ? .jsonArray : .jsonLines
            return false
        }
        return format
    }

    /// Calls `body` with every record in order; returns the number of blank lines skipped.
    @discardableResult
    public static func forEach(_ url: URL, _ body: (InputRecord) throws -> Void) throws -> Int {
        switch try format(of: url) {
        case .jsonLines: return try forEachLine(url, body)
        case .jsonArray: try forEachArrayElement(url, body); return 0
        }
    }

    static func forEachLine(_ url: URL, _ body: (InputRecord) throws -> Void) throws -> Int {
        var pending: [UInt8] = []
        var line = 0
        var index = 0
        var blank = 0
        func emit(_ bytes: [UInt8]) throws {
            line += 1
            if bytes.allSatisfy(isBlank) { blank += 1; return }
            try body(InputRecord(index: index, line: line, bytes: bytes))
            index += 1
        }
        try GzipFile.readChunks(url) { chunk in
            var start = chunk.startIndex
            while let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) {
                pending.append(contentsOf: chunk[start..<newline])
                try emit(pending)
                pending.removeAll(keepingCapacity: true)
                start = newline + 1
            }
            pending.append(contentsOf: chunk[start...])
            return true
        }
        if !pending.isEmpty { try emit(pending) }
        return blank
    }

    /// Splits the top-level elements of one JSON array by scanning brackets and strings; each element
    /// is handed over raw (it may still be malformed inside: the caller parses and rejects it).
    static func forEachArrayElement(_ url: URL, _ body: (InputRecord) throws -> Void) throws {
        var bytes: [UInt8] = []
        try GzipFile.readChunks(url) { bytes.append(contentsOf: $0); return true }
        let path = url.path
        var position = 0
        var line = 1
        func skipBlank() {
            while position < bytes.count, isBlank(bytes[position]) {
                if bytes[position] == UInt8(ascii: "\n") { line += 1 }
                position += 1
            }
        }
        skipBlank()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "[") else {
            throw DedupError.notJSONArray(file: path, reason: "does not start with [")
        }
        position += 1
        skipBlank()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") { return }
        var index = 0
        while true {
            skipBlank()
            let start = position
            let startLine = line
            var depth = 0
            var inString = false
            var escaped = false
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\n") { line += 1 }
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true }
                    else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    if depth == 0 { break }
                    depth -= 1
                } else if byte == UInt8(ascii: ","), depth == 0 {
                    break
                }
                position += 1
            }
            guard position < bytes.count else {
                throw DedupError.notJSONArray(file: path, reason: "element \(index) starting on line \(startLine) is not closed")
            }
            var end = position
            while end > start, isBlank(bytes[end - 1]) { end -= 1 }
            try body(InputRecord(index: index, line: startLine, bytes: Array(bytes[start..<end])))
            index += 1
            let separator = bytes[position]
            position += 1
            if separator == UInt8(ascii: "]") {
                skipBlank()
                guard position == bytes.count else {
                    throw DedupError.notJSONArray(file: path, reason: "text after the closing ] on line \(line)")
                }
                return
            }
            guard separator == UInt8(ascii: ",") else {
                throw DedupError.notJSONArray(file: path, reason: "unbalanced } on line \(line)")
            }
        }
    }

    static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

/// gzip through zlib's gz* API, which also reads uncompressed files unchanged ("transparent" mode).
enum GzipFile {
    /// Feeds the decompressed bytes in chunks; `body` returns false to stop early.
    static func readChunks(_ url: URL, chunkSize: Int = 1 << 20, _ body: (ArraySlice<UInt8>) throws -> Bool) throws {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw DedupError.unreadableInput(file: url.path, reason: "no such readable file")
        }
        guard let file = gzopen(url.path, "rb") else {
            throw DedupError.unreadableInput(file: url.path, reason: String(cString: strerror(errno)))
        }
        defer { gzclose(file) }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if count < 0 { throw DedupError.gzip(file: url.path, reason: message(file)) }
            if count == 0 {
                var status: Int32 = 0
                _ = gzerror(file, &status)
                if status != Z_OK && status != Z_STREAM_END { throw DedupError.gzip(file: url.path, reason: message(file)) }
                return
            }
            guard try body(buffer[0..<Int(count)]) else { return }
        }
    }

    private static func message(_ file: gzFile) -> String {
        var status: Int32 = 0
        guard let text = gzerror(file, &status) else { return "status \(status)" }
        return String(cString: text)
    }
}
