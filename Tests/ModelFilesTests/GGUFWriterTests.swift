// The GGUF writer against the reader and against gguf-py: every value type round-trips, tensors land on the
// alignment, and copying a file gguf-py wrote gives the same bytes.
import Foundation
import Kernels
import ModelFiles
import Testing

struct GGUFWriterTests {
    static func temporaryURL() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gguf-writer-\(UUID().uuidString).gguf")
    }

    @Test func everyValueTypeAndTensorRoundTrips() throws {
        let values: [(String, GGUFValue)] = [
            ("general.architecture", .string("minicpm")),
            ("u8", .uint8(250)), ("i8", .int8(-7)), ("u16", .uint16(65000)), ("i16", .int16(-32000)),
            ("u32", .uint32(4_000_000_001)), ("i32", .int32(-2_000_000_001)), ("f32", .float32(-2.5)),
            ("bool", .bool(false)), ("string", .string("<用户>x<AI>")), ("u64", .uint64(.max)),
            ("i64", .int64(.min)), ("f64", .float64(1e-300)),
            ("strings", .array([.string("a"), .string(""), .string("▁b")])),
            ("nested", .array([.array([.int32(1), .int32(2)]), .array([])])),
            ("empty", .array([])),
        ]
        var writer = GGUFWriter(alignment: 64)
        for (key, value) in values { writer.set(key, value) }
        writer.set("u8", .uint8(251))
        let matrix = (0..<(32 * 3)).map { Float($0) / 8 - 5 }
        try writer.addTensor("odd", shape: [5], floats: [1, 2, 3, 4, 5])
        try writer.addTensor("m", shape: [32, 3], floats: matrix)
        try writer.addTensor("q", shape: [32, 2], type: .q8_0, bytes: Array(repeating: 0, count: 68))
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)

        let file = try GGUFFile(url: url)
        #expect(file.alignment == 64)
        #expect(file.keys == ["general.alignment"] + values.map(\.0))
        for (key, value) in values where key != "u8" { #expect(file.value(key) == value, "\(key)") }
        #expect(file.value("u8") == .uint8(251))
        #expect(file.tensors.map(\.name) == ["odd", "m", "q"])
        #expect(file.tensors.allSatisfy { $0.offset % 64 == 0 })
        #expect(try file.vector("odd", count: 5) == [1, 2, 3, 4, 5])
        #expect(try file.matrix("m", rows: 3, columns: 32).dequantized() == matrix)
        #expect(try file.matrix("q", rows: 2, columns: 32).type == .q8_0)
    }

    @Test func copyOfAGGUFPyFileIsByteIdentical() throws {
        let original = GGUFFixtures.tinyDirectory.appendingPathComponent("tiny-Q8_0.gguf")
        let file = try GGUFFile(url: original)
        var writer = GGUFWriter(alignment: file.alignment)
        for key in file.keys { writer.set(key, file.value(key)!) }
        let bytes = try Data(contentsOf: original)
        for tensor in file.tensors {
            let type = try #require(tensor.type)
            let count = tensor.elementCount / type.blockSize * type.blockBytes
            try writer.addTensor(tensor.name, shape: tensor.shape, type: type,
                                 bytes: Array(bytes[tensor.offset..<tensor.offset + count]))
        }
        let url = Self.temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try writer.write(to: url)
        let copy = try Data(contentsOf: url)
        // gguf-py pads the last tensor to the alignment as well; everything before must match exactly.
        #expect(copy == bytes.prefix(copy.count))
        #expect(bytes.count - copy.count < file.alignment)
    }

    @Test func badTensorsAreRefusedWithTheirName() throws {
        var writer = GGUFWriter()
        #expect(throws: ModelFileError.self) { try writer.addTensor("w", shape: [33], type: .q8_0, bytes: []) }
        #expect(throws: ModelFileError.self) { try writer.addTensor("w", shape: [32], type: .q8_0, bytes: [1, 2]) }
        try writer.addTensor("w", shape: [2], floats: [1, 2])
        let twice = #expect(throws: ModelFileError.self) { try writer.addTensor("w", shape: [2], floats: [1, 2]) }
        #expect(twice?.localizedDescription.contains("w is added twice") == true)
        writer.set("mixed", .array([.int32(1), .string("x")]))
        let mixed = #expect(throws: ModelFileError.self) { try writer.write(to: Self.temporaryURL()) }
        #expect(mixed?.localizedDescription.contains("mixed") == true)
    }
}
