// A GGUF holding every quantized type the engine reads, written here, loads through GGUFFile and
// WeightMatrix, and its matrix-vector products match the dequantized reference.
import Foundation
import Kernels
import ModelFiles
import Testing

/// The smallest GGUF v3 writer: no metadata, tensors aligned to 32 bytes.
enum TinyGGUFWriter {
    struct Tensor {
        let name: String
        let type: TensorType
        let rows: Int
        let columns: Int
        let bytes: [UInt8]
    }

    static func bytes(_ tensors: [Tensor]) -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        append(UInt32(3))
        append(UInt64(tensors.count))
        append(UInt64(0))
        var offset = 0
        for tensor in tensors {
            append(UInt64(tensor.name.utf8.count))
            out += Array(tensor.name.utf8)
            append(UInt32(2))
            append(UInt64(tensor.columns))
            append(UInt64(tensor.rows))
            append(tensor.type.rawValue)
            append(UInt64(offset))
            offset += (tensor.bytes.count + 31) / 32 * 32
        }
        for tensor in [nil] + tensors.map(Optional.some) {
            while out.count % 32 != 0 { out.append(0) }
            if let tensor { out += tensor.bytes }
        }
        return out
    }
}

struct KQuantGGUFTests {
    static let types: [TensorType] = [.q4_K, .q5_K, .q6_K, .q5_0, .q5_1, .q8_0]

    @Test func quantizedTensorsLoadAndMultiply() throws {
        let rows = 13, columns = 512
        var random = SplitMix64(seed: 9)
        let tensors = Self.types.map { type in
            let values = (0..<rows * columns).map { _ in Float.random(in: -0.1...0.1, using: &random) }
            return TinyGGUFWriter.Tensor(name: "blk.0.\(type).weight", type: type, rows: rows, columns: columns,
                                         bytes: Quantize.row(values, to: type))
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kquant-\(UUID().uuidString).gguf")
        try Data(TinyGGUFWriter.bytes(tensors)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }

        let file = try GGUFFile(url: url)
        let pool = WorkerPool(threads: 2)
        let x = Activations(count: columns)
        for i in 0..<columns { x[i] = Float.random(in: -1...1, using: &random) }
        let input = (0..<columns).map { x[$0] }
        for tensor in tensors {
            #expect(file.tensor(named: tensor.name)?.type == tensor.type)
            let w = try file.matrix(tensor.name, rows: rows, columns: columns)
            let weights = Reference.dequantize(tensor.type, bytes: tensor.bytes, count: rows * columns)
            #expect(w.dequantized() == weights, "\(tensor.type)")
            for precision in ActivationPrecision.allCases {
                var out = [Float](repeating: .nan, count: rows)
                out.withUnsafeMutableBufferPointer { Matvec.multiply(w, x, into: $0.baseAddress!, precision: precision, pool: pool) }
                for r in 0..<rows {
                    let row = Array(weights[r * columns..<(r + 1) * columns])
                    let expected = Reference.dot(row, input)
                    // 8-bit activations move each input by at most half a step (max|x| / 254).
                    let tolerance = precision == .float ? 1e-4 : row.map(abs).reduce(0, +) / 254 + 1e-4
                    #expect(abs(out[r] - expected) <= tolerance, "\(tensor.type) \(precision) row \(r): \(out[r]) vs \(expected)")
                }
            }
        }
    }

    @Test func rowsThatDoNotFillSuperBlocksAreRejected() throws {
        let tensor = TinyGGUFWriter.Tensor(name: "ffn_down.weight", type: .q4_K, rows: 1, columns: 5760,
                                           bytes: [UInt8](repeating: 0, count: 5760 / 32 * 144))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kquant-\(UUID().uuidString).gguf")
        try Data(TinyGGUFWriter.bytes([tensor])).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: ModelFileError.self) { try GGUFFile(url: url) }
        #expect(error?.localizedDescription.contains("ffn_down.weight") == true)
        #expect(error?.localizedDescription.contains("Q4_K blocks of 256") == true)
    }
}
