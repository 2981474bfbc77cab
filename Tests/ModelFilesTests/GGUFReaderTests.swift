// The GGUF reader on real files (SmolLM2, the tiny fixtures) and on broken ones: every failure is a
// typed error that names the file and the place, never a crash or a hang.
import Foundation
import ModelFiles
import Testing

enum GGUFFixtures {
    static let tinyDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-llama")
    static let tiny = tinyDirectory.appendingPathComponent("tiny-Q4_1.gguf")

    static var smolLM2: URL? {
        guard let cached = ModelCache.model(named: "smollm2") else { return nil }
        let url = ModelCache.checkedFile(of: cached)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-test-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        return url
    }
}

struct GGUFReaderTests {
    @Test func readsEveryMetadataType() throws {
        let file = try GGUFFile(url: GGUFFixtures.tiny)
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        #expect(file.value("test.uint8") == .uint8(200))
        #expect(file.value("test.int8") == .int8(-100))
        #expect(file.value("test.uint16") == .uint16(60000))
        #expect(file.value("test.int16") == .int16(-30000))
        #expect(file.value("test.uint32") == .uint32(4_000_000_000))
        #expect(file.value("test.int32") == .int32(-2_000_000_000))
        #expect(file.value("test.float32") == .float32(1.5))
        #expect(file.value("test.bool") == .bool(true))
        #expect(file.value("test.string") == .string("héllo, 世界"))
        #expect(file.value("test.uint64") == .uint64(1 << 63 + 5))
        #expect(file.value("test.int64") == .int64(-(1 << 62)))
        #expect(file.value("test.float64") == .float64(-0.125))
        #expect(try file.optionalInts("test.array_int") == [1, 2, 3])
        #expect(try file.optionalStrings("test.array_string") == ["a", "", "ccc"])
        #expect(file.value("test.array_nested")?.array?.count == 2)
        #expect(file.keys.first == "general.architecture")
    }

    @Test func tensorsAreShapedAndInBounds() throws {
        let file = try GGUFFile(url: GGUFFixtures.tiny)
        let embedding = try #require(file.tensor(named: "token_embd.weight"))
        #expect(embedding.shape == [64, 80])
        #expect(embedding.type == .q4_1)
        let matrix = try file.matrix("token_embd.weight", rows: 80, columns: 64)
        #expect(matrix.rowBytes == 2 * 20)
        #expect(throws: ModelFileError.shapeMismatch(file: GGUFFixtures.tiny.path, tensor: "token_embd.weight",
                                                expected: [64, 81], actual: [64, 80])) {
            try file.matrix("token_embd.weight", rows: 81, columns: 64)
        }
        #expect(throws: ModelFileError.missingTensor(file: GGUFFixtures.tiny.path, tensor: "nope.weight")) {
            try file.matrix("nope.weight", rows: 1, columns: 1)
        }
    }

    @Test(.enabled(if: GGUFFixtures.smolLM2 != nil, "the smollm2 model is not installed (make setup)"))
    func readsSmolLM2() throws {
        let file = try GGUFFile(url: try #require(GGUFFixtures.smolLM2))
        #expect(file.version == 3)
        #expect(try file.requiredString("general.architecture") == "llama")
        #expect(try file.requiredInt("llama.block_count") == 30)
        #expect(try file.optionalStrings("tokenizer.ggml.tokens")?.count == 49152)
        #expect(file.tensors.count == 272)
        #expect(file.tensor(named: "token_embd.weight")?.type == .q8_0)
        #expect(file.tensor(named: "blk.0.attn_q.weight")?.type == .q4_1)
        #expect(file.tensor(named: "output.weight") == nil)
    }

    @Test func wrongKeyTypesNameTheKey() throws {
        let file = try GGUFFile(url: GGUFFixtures.tiny)
        #expect(throws: ModelFileError.wrongKeyType(file: GGUFFixtures.tiny.path, key: "test.string", expected: "an integer", actual: "string")) {
            try file.requiredInt("test.string")
        }
        #expect(throws: ModelFileError.missingKey(file: GGUFFixtures.tiny.path, key: "no.such.key")) {
            try file.requiredInt("no.such.key")
        }
    }

    @Test func nonModelFilesAreRejected() throws {
        let text = try GGUFFixtures.temporaryFile(Array("just some text, not a model".utf8))
        defer { try? FileManager.default.removeItem(at: text) }
        #expect(throws: ModelFileError.notGGUF(file: text.path, magic: "6a757374")) { try GGUFFile(url: text) }
        let empty = try GGUFFixtures.temporaryFile([])
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: ModelFileError.truncated(file: empty.path, offset: 0, needed: 4, reading: "the magic")) { try GGUFFile(url: empty) }
        let missing = URL(fileURLWithPath: "/nonexistent/model.gguf")
        #expect(throws: ModelFileError.cannotOpen(file: missing.path, reason: "open: No such file or directory")) { try GGUFFile(url: missing) }
        var version1 = Array("GGUF".utf8) + [1, 0, 0, 0]
        version1 += [UInt8](repeating: 0, count: 16)
        let old = try GGUFFixtures.temporaryFile(version1)
        defer { try? FileManager.default.removeItem(at: old) }
        #expect(throws: ModelFileError.unsupportedVersion(file: old.path, version: 1)) { try GGUFFile(url: old) }
    }

    @Test func truncationAnywhereIsAnError() throws {
        let bytes = [UInt8](try Data(contentsOf: GGUFFixtures.tiny))
        let file = try GGUFFile(url: GGUFFixtures.tiny)
        // Cut inside the header, the metadata, the tensor infos and the data.
        for length in [3, 10, 23, 100, 700, file.dataOffset - 1, file.dataOffset + 10, bytes.count - 1] {
            let url = try GGUFFixtures.temporaryFile(Array(bytes.prefix(length)))
            defer { try? FileManager.default.removeItem(at: url) }
            let error = #expect(throws: ModelFileError.self, "cut at \(length)") { try GGUFFile(url: url) }
            #expect(error?.localizedDescription.contains(url.path) == true)
        }
    }

    /// Random byte mutations of the header region: the reader must return or throw, every time.
    @Test func mutatedHeadersGiveErrorsNotCrashes() throws {
        let original = [UInt8](try Data(contentsOf: GGUFFixtures.tiny))
        let headerEnd = try GGUFFile(url: GGUFFixtures.tiny).dataOffset
        var random = SplitMix(seed: 42)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-fuzz-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        var rejected = 0
        for round in 0..<400 {
            var bytes = original
            let mutations = 1 + Int(random.next() % 4)
            for _ in 0..<mutations {
                let position = Int(random.next() % UInt64(headerEnd))
                switch random.next() % 3 {
                case 0: bytes[position] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[position] ^= 1 << UInt8(random.next() % 8)
                default: bytes[position] = [0x00, 0xff, 0x7f, 0x80][Int(random.next() % 4)]
                }
            }
            if round % 10 == 0 { bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count)))) }
            try Data(bytes).write(to: url)
            do {
                let file = try GGUFFile(url: url)
                // A file that still parses must describe tensors that lie inside it.
                for tensor in file.tensors { #expect(tensor.offset <= file.fileSize) }
            } catch {
                rejected += 1
                #expect(error.localizedDescription.contains(url.path))
            }
        }
        #expect(rejected > 100)
    }

    /// Two F32 tensors of 8 values (32 bytes each) at data offsets 0 and 32, with `second`'s offset set to `offset`.
    static func twoTensors(secondAt offset: UInt64) throws -> URL {
        var writer = GGUFWriter()
        try writer.addTensor("first.weight", shape: [8], floats: Array(repeating: 1, count: 8))
        try writer.addTensor("second.weight", shape: [8], floats: Array(repeating: 2, count: 8))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-layout-\(UUID().uuidString).gguf")
        try writer.write(to: url)
        var bytes = [UInt8](try Data(contentsOf: url))
        let name = Array("second.weight".utf8)
        let nameAt = try #require((0...(bytes.count - name.count)).first { bytes[$0..<$0 + name.count].elementsEqual(name) })
        // name | u32 dims | u64 ne0 | u32 type | u64 offset
        let field = nameAt + name.count + 4 + 8 + 4
        withUnsafeBytes(of: offset.littleEndian) { bytes.replaceSubrange(field..<field + 8, with: $0) }
        try Data(bytes).write(to: url)
        return url
    }

    /// Issue 22: tensor data that is misaligned, overlaps another tensor or runs past the data section loaded
    /// and was read as wrong weights (a model that generated empty text); now the load fails naming the tensor.
    @Test func tensorDataMustBeAlignedInsideAndApart() throws {
        let good = try Self.twoTensors(secondAt: 32)
        defer { try? FileManager.default.removeItem(at: good) }
        #expect(try GGUFFile(url: good).vector("second.weight", count: 8) == Array(repeating: 2, count: 8))

        let misaligned = try Self.twoTensors(secondAt: 4)
        defer { try? FileManager.default.removeItem(at: misaligned) }
        #expect(throws: ModelFileError.misalignedTensor(file: misaligned.path, tensor: "second.weight", offset: 4, alignment: 32)) {
            try GGUFFile(url: misaligned)
        }
        let overlapping = try Self.twoTensors(secondAt: 0)
        defer { try? FileManager.default.removeItem(at: overlapping) }
        #expect(throws: ModelFileError.overlappingTensors(file: overlapping.path, tensor: "second.weight", offset: 0,
                                                     other: "first.weight", otherEnd: 32)) {
            try GGUFFile(url: overlapping)
        }
        let outside = try Self.twoTensors(secondAt: 64)
        defer { try? FileManager.default.removeItem(at: outside) }
        let error = #expect(throws: ModelFileError.tensorOutOfBounds(file: outside.path, tensor: "second.weight", offset: 64, bytes: 32,
                                                                dataLength: 64)) {
            try GGUFFile(url: outside)
        }
        #expect(error?.localizedDescription == "\(outside.path): tensor second.weight needs 32 bytes at data offset 64, past the end of the data section (64 bytes)")
        let huge = try Self.twoTensors(secondAt: .max)
        defer { try? FileManager.default.removeItem(at: huge) }
        #expect(throws: ModelFileError.tensorOutOfBounds(file: huge.path, tensor: "second.weight", offset: .max, bytes: 32, dataLength: 64)) {
            try GGUFFile(url: huge)
        }
    }

    /// Issue 22: a damaged file's 1.2 MB binary key name was printed whole in the error; now it is quoted
    /// short, its control and non-UTF-8 bytes escaped and its length said.
    @Test func keysQuotedInErrorsAreShortAndEscaped() throws {
        var bytes = Array("GGUF".utf8) + [3, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [1, 0, 0, 0, 0, 0, 0, 0]
        var key: [UInt8] = [0x00, 0x0A, 0xFF, 0x1B] + Array("key".utf8)
        key += (0..<1_200_000 - key.count).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        withUnsafeBytes(of: UInt64(key.count).littleEndian) { bytes += $0 }
        bytes += key + [99, 0, 0, 0]
        let url = try GGUFFixtures.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ModelFileError.self) { try GGUFFile(url: url) }
        let message = try #require(error?.localizedDescription)
        #expect(message.count < url.path.count + 300, "\(message.prefix(400))")
        #expect(message.contains("metadata \\u{0}\\n\\xFF\\u{1B}key"), "\(message)")
        #expect(message.contains("(1200000 bytes in all) has value type 99"), "\(message)")
    }
}

/// A small deterministic generator for the fuzz test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
