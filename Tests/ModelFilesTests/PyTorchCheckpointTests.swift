// PyTorch zip checkpoints written by torch.save (scripts/fixtures/tiny_minicpm.py): tensors found in place,
// and pickles that ask for anything beyond a state dict refused with the opcode or global and its offset.
import Foundation
import Kernels
import ModelFiles
import Testing

enum PyTorchFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-minicpm")
    static let small = directory.appendingPathComponent("small/pytorch_model.bin")

    /// A copy of the small checkpoint with `original` replaced by `replacement` (same length) in its pickle.
    static func patched(_ original: [UInt8], _ replacement: [UInt8]) throws -> URL {
        precondition(original.count == replacement.count)
        var bytes = [UInt8](try Data(contentsOf: small))
        let at = try #require(bytes.indices.first { bytes[$0..<min($0 + original.count, bytes.count)].elementsEqual(original) })
        bytes.replaceSubrange(at..<at + original.count, with: replacement)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("patched-\(UUID().uuidString).bin")
        try Data(bytes).write(to: url)
        return url
    }
}

struct PyTorchCheckpointTests {
    @Test func readsTheStateDictInPlace() throws {
        let file = try PyTorchFile(url: PyTorchFixtures.small)
        #expect(file.tensorNames.count == 2 + 2 * 9 + 1)
        #expect(file.tensorNames.first == "model.embed_tokens.weight")
        #expect(file.tensorNames.last == "lm_head.weight")
        let embedding = try file.info("model.embed_tokens.weight")
        #expect(embedding.dtype == .bf16 && embedding.shape == [256, 64] && embedding.strides == [64, 1])
        // The tied head is the same storage, as torch shares it.
        #expect(try file.info("lm_head.weight").storageKey == embedding.storageKey)
        let matrix = try file.matrix("model.layers.1.mlp.down_proj.weight", rows: 64, columns: 160)
        #expect(matrix.type == .bf16)
        // down_proj holds (k - 128) / 128 * 2^-4 * 8: multiples of 2^-8 within [-1/2, 1/2).
        let values = matrix.dequantized()
        #expect(values.allSatisfy { abs($0) <= 0.5 && ($0 * 256).rounded() == $0 * 256 })
        #expect(Set(values).count > 200)
        let norm = try file.floats("model.norm.weight", expectedShape: [64])
        #expect(norm.allSatisfy { $0 >= 1 - 8.0 / 128 && $0 <= 1 + 7.0 / 128 })
        let shape = #expect(throws: ModelFileError.self) { try file.matrix("model.norm.weight", rows: 64, columns: 2) }
        #expect(shape?.localizedDescription.contains("model.norm.weight has shape [64], expected [64, 2]") == true)
        #expect(throws: ModelFileError.self) { try file.info("model.layers.2.mlp.up_proj.weight") }
    }

    @Test func zip64ArchiveIsRead() throws {
        let file = try PyTorchFile(url: PyTorchFixtures.directory.appendingPathComponent("zip64.bin"))
        #expect(file.tensorNames == ["w"])
        #expect(try file.floats("w", expectedShape: [2, 3]) == [0, 1, 2, 3, 4, 5])
        #expect(try file.matrix("w", rows: 2, columns: 3).type == .f32)
    }

    @Test func shardedCheckpointFollowsTheIndex() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shards-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: PyTorchFixtures.small, to: directory.appendingPathComponent("part-1.bin"))
        try FileManager.default.copyItem(at: PyTorchFixtures.directory.appendingPathComponent("zip64.bin"),
                                         to: directory.appendingPathComponent("part-2.bin"))
        let index = #"{"metadata": {}, "weight_map": {"model.norm.weight": "part-1.bin", "w": "part-2.bin"}}"#
        try Data(index.utf8).write(to: directory.appendingPathComponent(PyTorchCheckpoint.indexFileName))
        let checkpoint = try PyTorchCheckpoint(directory: directory)
        #expect(checkpoint.tensorNames == ["model.norm.weight", "w"])
        #expect(try checkpoint.floats("w", expectedShape: [2, 3]) == [0, 1, 2, 3, 4, 5])
        #expect(try checkpoint.floats("model.norm.weight", expectedShape: [64]).count == 64)
        let broken = #"{"weight_map": {"missing.weight": "part-2.bin"}}"#
        try Data(broken.utf8).write(to: directory.appendingPathComponent(PyTorchCheckpoint.indexFileName))
        let error = #expect(throws: ModelFileError.self) { try PyTorchCheckpoint(directory: directory) }
        #expect(error?.localizedDescription.contains("missing.weight") == true)
    }

    @Test func foreignGlobalIsRefusedWithItsOffset() throws {
        // "collections\nOrderedDict\n" -> "subprocess\ncheck_output\n": what a malicious pickle would call.
        let url = try PyTorchFixtures.patched(Array("collections\nOrderedDict\n".utf8), Array("subprocess\ncheck_output\n".utf8))
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ModelFileError.self) { try PyTorchFile(url: url) }
        #expect(error == .unsupportedPickle(file: url.path + ":pytorch_model/data.pkl", offset: 2,
                                            reason: "global subprocess.check_output is not allowed (only OrderedDict, _rebuild_tensor_v2 and BF16/F16/F32 storages)"))
    }

    @Test func foreignOpcodeIsRefusedByName() throws {
        // PROTO 2, then INST ('i') where GLOBAL ('c') stood.
        let url = try PyTorchFixtures.patched([0x80, 0x02, 0x63, 0x63, 0x6F], [0x80, 0x02, 0x69, 0x63, 0x6F])
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ModelFileError.self) { try PyTorchFile(url: url) }
        #expect(error?.localizedDescription.contains("offset 2: opcode INST (0x69) is not part of a state dict") == true)
    }

    @Test func nonContiguousTensorIsRefusedClearly() throws {
        // The embedding's stride (64, 1) becomes (65, 1): a view torch can describe but the engine cannot map.
        let url = try PyTorchFixtures.patched([0x4B, 0x40, 0x4B, 0x01, 0x86], [0x4B, 0x41, 0x4B, 0x01, 0x86])
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try PyTorchFile(url: url)
        let error = #expect(throws: ModelFileError.self) { try file.matrix("model.embed_tokens.weight", rows: 256, columns: 64) }
        #expect(error?.localizedDescription.contains("strides [65, 1] for shape [256, 64] are not row-major") == true)
    }

    @Test func notAZipIsNamed() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-\(UUID().uuidString).bin")
        try Data([0x80, 0x02, 0x8A, 0x0A] + Array(repeating: 0, count: 40)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ModelFileError.self) { try PyTorchFile(url: url) }
        #expect(error?.localizedDescription.contains("legacy format") == true)
    }
}

struct StateDictUnpicklerTests {
    static func pickle() throws -> [UInt8] {
        let bytes = [UInt8](try Data(contentsOf: PyTorchFixtures.small))
        return try bytes.withUnsafeBytes { raw in
            let archive = try ZipArchive(bytes: raw, file: "small")
            return Array(try archive.storedEntry("pytorch_model/data.pkl", in: raw))
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> [PyTorchTensorInfo] {
        try bytes.withUnsafeBytes { try StateDictUnpickler.tensors(in: $0, file: "p") }
    }

    @Test func theRealPickleParses() throws {
        let tensors = try Self.parse(Self.pickle())
        #expect(tensors.count == 21 && tensors.allSatisfy { $0.dtype == .bf16 && $0.isContiguous })
    }

    /// Truncations and seeded byte mutations of a real pickle: each parses or throws, none crashes.
    @Test func damagedPicklesThrowInsteadOfCrashing() throws {
        let original = try Self.pickle()
        var rejected = 0
        for length in stride(from: 0, to: original.count, by: 7) {
            if (try? Self.parse(Array(original.prefix(length)))) == nil { rejected += 1 }
        }
        #expect(rejected == (original.count + 6) / 7)
        var generator = SplitMix64(seed: 11)
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int(generator.next() % 3 + 1) {
                bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            _ = try? Self.parse(bytes)
        }
    }

    /// Seeded mutations of the archive's central directory and end record: the zip reader throws, never crashes.
    @Test func damagedZipDirectoriesThrowInsteadOfCrashing() throws {
        let original = [UInt8](try Data(contentsOf: PyTorchFixtures.small))
        var generator = SplitMix64(seed: 12)
        var rejected = 0
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<Int(generator.next() % 3 + 1) {
                bytes[bytes.count - 1 - Int(generator.next() % 700)] = UInt8(truncatingIfNeeded: generator.next())
            }
            let archive = bytes.withUnsafeBytes { try? ZipArchive(bytes: $0, file: "damaged") }
            if archive == nil { rejected += 1 }
        }
        #expect(rejected > 100)
    }

    @Test func emptyAndForeignPicklesAreNamed() {
        #expect(throws: ModelFileError.invalidPickle(file: "p", offset: 0, reason: "truncated: 1 bytes needed, 0 left")) {
            try Self.parse([])
        }
        // PROTO 2, EMPTY_LIST, STOP: a pickle, but not a state dict.
        #expect(throws: ModelFileError.invalidPickle(file: "p", offset: 0, reason: "the pickle holds a list, not a state dict")) {
            try Self.parse([0x80, 0x02, 0x5D, 0x2E])
        }
        // NEWOBJ (0x81) would construct an arbitrary class.
        let error = #expect(throws: ModelFileError.self) { try Self.parse([0x80, 0x02, 0x81]) }
        #expect(error?.localizedDescription == "p: the pickle is refused at offset 2: opcode NEWOBJ (0x81) is not part of a state dict")
    }
}
