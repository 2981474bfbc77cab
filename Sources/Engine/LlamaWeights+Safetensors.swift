// Hugging Face checkpoints (safetensors) as a weight source: HF tensor names, rotate-half RoPE.
// The safetensors reader hands out floats, so each tensor is converted to f32 once at load (fine for the
// small checkpoints tests write; quantized GGUF files stay the way to run large models in place).
import Foundation
import Kernels
import ModelFiles

public final class SafetensorsWeightSource: WeightSource, @unchecked Sendable {
    public let checkpoint: SafetensorsCheckpoint
    private var buffers: [UnsafeMutablePointer<Float>] = []

    public init(directory: URL) throws(EngineError) {
        do { checkpoint = try SafetensorsCheckpoint(directory: directory) } catch {
            throw .modelFile(error.localizedDescription)
        }
    }

    deinit { for buffer in buffers { buffer.deallocate() } }

    public var path: String { checkpoint.directory.path }
    public var storage: AnyObject { self }
    public func ropeStyle(for architecture: DecoderArchitecture) -> RoPEStyle { .halves }
    public func has(_ name: String) -> Bool { checkpoint.contains(name) }

    public func matrix(_ name: String, rows: Int, columns: Int) throws(EngineError) -> WeightMatrix {
        let values: [Float]
        do { values = try checkpoint.floats(name, expectedShape: [rows, columns]) } catch {
            throw .modelFile(error.localizedDescription)
        }
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        buffer.initialize(from: values, count: values.count)
        buffers.append(buffer)
        return WeightMatrix(type: .f32, rows: rows, columns: columns, data: UnsafeRawPointer(buffer))
    }

    public func vector(_ name: String, count: Int) throws(EngineError) -> [Float] {
        do { return try checkpoint.floats(name, expectedShape: [count]) } catch {
            throw .modelFile(error.localizedDescription)
        }
    }
}
