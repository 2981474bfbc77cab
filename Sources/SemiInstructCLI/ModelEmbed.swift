// `semi-instruct model embed MODEL (--text TEXT | --input FILE.jsonl --field NAME) [--output FILE] [--json]`
import ArgumentParser
import Dedup
import Engine
import Foundation
import Kernels
import ModelFiles
import VectorIndex
import Pipeline

struct ModelEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts with a sentence encoder (a sentence-transformers BERT directory).",
        discussion: """
            Vectors go to --output, one JSON array per line, or a float32 n x d NumPy array when the file \
            ends in .npy; without --output they go to standard output as JSON lines.
            """)

    @Argument(help: "A model directory, or a cached model name (minilm).")
    var model: String

    @Option(help: "One text to embed.")
    var text: String?

    @Option(help: "A JSONL file; each line is an object whose --field holds the text.")
    var input: String?

    @Option(help: "The field of each JSONL object that holds the text.")
    var field: String?

    @Option(help: "Where to write the vectors (.npy for NumPy float32, anything else for JSON lines).")
    var output: String?

    @Option(help: "Batches encoded in parallel, each on its own thread with single-threaded OpenBLAS.")
    var workers = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print a JSON summary (model, count, dimension, tokens, seconds, output) to standard output; needs --output.")
    var json = false

    func validate() throws {
        switch (text, input) {
        case (nil, nil): throw ValidationError("Give --text TEXT or --input FILE.jsonl --field NAME.")
        case (.some, .some): throw ValidationError("Give either --text or --input, not both.")
        case (nil, .some) where field == nil: throw ValidationError("--input needs --field NAME (the JSON field holding the text).")
        default: break
        }
        if workers < 1 { throw ValidationError("--workers must be at least 1.") }
        if json, output == nil {
            throw ValidationError("--json needs --output: without it the vectors themselves go to standard output.")
        }
    }

    func run() throws {
        let texts: [String]
        if let text {
            texts = [text]
        } else {
            texts = try JSONLTexts.read(URL(fileURLWithPath: input!), field: field!)
        }
        let started = DispatchTime.now().uptimeNanoseconds
        if workers > 1 { BLAS.threads = 1 }
        let embedder = try BERTEmbedder(directory: EmbedderLoader.encoderDirectory(model), tokensPerBatch: 1024, workers: workers)
        let tokenized = texts.map(embedder.tokenize)
        let vectors = try embedder.embed(tokenized: tokenized)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9

        if let output {
            let url = URL(fileURLWithPath: output)
            if url.pathExtension.lowercased() == "npy" {
                try NPYFile.write(Matrix(rows: vectors.count, columns: embedder.dimension, values: vectors.flatMap { $0 }), to: url)
            } else {
                let lines = vectors.map(Self.jsonArray).joined(separator: "\n") + (vectors.isEmpty ? "" : "\n")
                do {
                    try Data(lines.utf8).write(to: url, options: .atomic)
                } catch {
                    throw PipelineError.input(path: url.path, message: "cannot write: \(error.localizedDescription)")
                }
            }
            let tokens = tokenized.reduce(0) { $0 + $1.count }
            if json {
                let summary: [String: Any] = [
                    "model": embedder.directory.path, "count": vectors.count, "dimension": embedder.dimension,
                    "tokens": tokens, "seconds": seconds, "output": url.path,
                ]
                let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("embedded \(vectors.count) texts (\(tokens) tokens, dimension \(embedder.dimension)) in "
                    + String(format: "%.2f", seconds) + " s -> \(url.path)")
            }
        } else {
            for vector in vectors { print(Self.jsonArray(vector)) }
        }
    }

    /// Shortest round-trip decimal for each value, as a JSON array.
    static func jsonArray(_ vector: [Float]) -> String {
        "[" + vector.map { "\($0)" }.joined(separator: ",") + "]"
    }
}

/// Texts from a JSONL file: one object per line, the text in one field. Errors name the line.
enum JSONLTexts {
    static func read(_ url: URL, field: String) throws -> [String] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw EmbedInputError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var texts: [String] = []
        texts.reserveCapacity(lines.count)
        for (index, bytes) in lines.enumerated() {
            let lineNumber = index + 1
            guard let line = String(validating: bytes, as: UTF8.self) else {
                throw EmbedInputError.invalidUTF8(file: url.path, line: lineNumber)
            }
            guard !line.allSatisfy(\.isWhitespace) else {
                throw EmbedInputError.invalidLine(file: url.path, line: lineNumber, detail: "empty line")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
                throw EmbedInputError.invalidLine(file: url.path, line: lineNumber, detail: "not a JSON object")
            }
            guard let value = object[field] else {
                throw EmbedInputError.missingField(file: url.path, line: lineNumber, field: field)
            }
            guard let text = value as? String else {
                throw EmbedInputError.invalidLine(file: url.path, line: lineNumber, detail: "field '\(field)' is not a string")
            }
            texts.append(text)
        }
        return texts
    }
}

enum EmbedInputError: LocalizedError, Equatable {
    case unreadable(file: String, reason: String)
    case invalidUTF8(file: String, line: Int)
    case invalidLine(file: String, line: Int, detail: String)
    case missingField(file: String, line: Int, field: String)

    var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason): "cannot read \(file): \(reason)"
        case let .invalidUTF8(file, line): "\(file):\(line): not valid UTF-8"
        case let .invalidLine(file, line, detail): "\(file):\(line): \(detail)"
        case let .missingField(file, line, field): "\(file):\(line): no field '\(field)'"
        }
    }
}
