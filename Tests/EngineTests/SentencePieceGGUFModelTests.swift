// A GGUF model whose vocabulary is `tokenizer.ggml.model = llama` loads with the SentencePiece tokenizer:
// the tiny Llama fixture rewritten with the pieces of a tiny SentencePiece model added to its metadata.
import Engine
import Foundation
import ModelFiles
import Testing
import Tokenizers

struct SentencePieceGGUFModelTests {
    @Test func ggufWithLlamaVocabularyLoadsTheSentencePieceTokenizer() throws {
        let spm = try SentencePieceTokenizer(modelFile: TinyLlama.directory.deletingLastPathComponent()
            .appendingPathComponent("spm/tiny-bpe.model"))
        let source = try GGUFFile(url: TinyLlama.directory.appendingPathComponent("tiny-F32.gguf"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("si-spm-model-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        try GGUFRewriter.write(source, adding: [
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(spm.pieces.map { .string($0.text) })),
            ("tokenizer.ggml.scores", .array(spm.pieces.map { .float32($0.score) })),
            ("tokenizer.ggml.token_type", .array(spm.pieces.map { .int32(Int32($0.type.rawValue)) })),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ], to: url)

        let loaded = try ModelLoader.load(file: url, threads: 1)
        #expect(loaded.tokenizer is SentencePieceTokenizer)
        #expect(loaded.tokenizer.summary.hasPrefix("SentencePiece BPE (piece scores, byte fallback)"))
        let ids = try LlamaGenerator(loaded).promptIDs(.text("write a stack"))
        #expect(ids == [1] + spm.encode("write a stack", addSpecialTokens: false))
    }
}

/// Copies a GGUF file with extra metadata: header, metadata, tensor infos, then the tensors re-aligned.
enum GGUFRewriter {
    static func write(_ file: GGUFFile, adding extra: [(String, GGUFValue)], to url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: file.url))
        let entries = file.keys.map { ($0, file.metadata[$0]!) } + extra
        var out = Array("GGUF".utf8)
        append(UInt32(3), &out)
        append(UInt64(file.tensors.count), &out)
        append(UInt64(entries.count), &out)
        for (key, value) in entries {
            appendString(key, &out)
            append(typeID(value), &out)
            appendValue(value, &out)
        }
        // Tensors keep their order and sizes; each size is the gap to the next tensor (or the file end).
        let starts = file.tensors.map(\.offset)
        let ends = zip(starts.indices, starts).map { index, _ in
            starts.filter { $0 > starts[index] }.min() ?? bytes.count
        }
        var offset = 0
        var placements: [Int] = []
        for (index, tensor) in file.tensors.enumerated() {
            appendString(tensor.name, &out)
            append(UInt32(tensor.shape.count), &out)
            for dimension in tensor.shape { append(UInt64(dimension), &out) }
            append(tensor.typeID, &out)
            append(UInt64(offset), &out)
            placements.append(offset)
            offset += (ends[index] - starts[index] + 31) / 32 * 32
        }
        while out.count % 32 != 0 { out.append(0) }
        let dataStart = out.count
        out += [UInt8](repeating: 0, count: offset)
        for (index, start) in starts.enumerated() {
            out.replaceSubrange(dataStart + placements[index]..<dataStart + placements[index] + ends[index] - start,
                                with: bytes[start..<ends[index]])
        }
        try Data(out).write(to: url)
    }

    private static func typeID(_ value: GGUFValue) -> UInt32 {
        switch value {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    private static func appendValue(_ value: GGUFValue, _ out: inout [UInt8]) {
        switch value {
        case let .uint8(v): out.append(v)
        case let .int8(v): out.append(UInt8(bitPattern: v))
        case let .uint16(v): append(v, &out)
        case let .int16(v): append(v, &out)
        case let .uint32(v): append(v, &out)
        case let .int32(v): append(v, &out)
        case let .float32(v): append(v.bitPattern, &out)
        case let .bool(v): out.append(v ? 1 : 0)
        case let .string(v): appendString(v, &out)
        case let .array(items):
            append(items.first.map(typeID) ?? 4, &out)
            append(UInt64(items.count), &out)
            for item in items { appendValue(item, &out) }
        case let .uint64(v): append(v, &out)
        case let .int64(v): append(v, &out)
        case let .float64(v): append(v.bitPattern, &out)
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private static func appendString(_ text: String, _ out: inout [UInt8]) {
        append(UInt64(text.utf8.count), &out)
        out += Array(text.utf8)
    }
}
