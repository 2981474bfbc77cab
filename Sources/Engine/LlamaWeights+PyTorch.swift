// PyTorch checkpoints (`pytorch_model.bin`) as a weight source: Hugging Face names, rotate-half RoPE, and
// BF16/F16/F32 matrices read in place from the mapped zip (Abacus ships 5.45 GB of BF16 this way).
import Foundation
import Kernels
import ModelFiles

public final class PyTorchWeightSource: WeightSource, @unchecked Sendable {
    public let checkpoint: PyTorchCheckpoint

    public init(directory: URL) throws(EngineError) {
        do { checkpoint = try PyTorchCheckpoint(directory: directory) } catch {
            throw .modelFile(error.localizedDescription)
        }
    }

    public var path: String { checkpoint.directory.path }
    public var storage: AnyObject { checkpoint }
    public func ropeStyle(for architecture: DecoderArchitecture) -> RoPEStyle { .halves }
    public func has(_ name: String) -> Bool { checkpoint.contains(name) }

    public func matrix(_ name: String, rows: Int, columns: Int) throws(EngineError) -> WeightMatrix {
        do { return try checkpoint.matrix(name, rows: rows, columns: columns) } catch {
            throw .modelFile(error.localizedDescription)
        }
    }

    public func vector(_ name: String, count: Int) throws(EngineError) -> [Float] {
        do { return try checkpoint.floats(name, expectedShape: [count]) } catch {
            throw .modelFile(error.localizedDescription)
        }
    }
}

public enum HuggingFaceWeights {
    /// The weights of a Hugging Face checkpoint directory: safetensors when present, else `pytorch_model.bin`.
    public static func source(directory: URL) throws(EngineError) -> any WeightSource {
        let fm = FileManager.default
        let safetensors = [SafetensorsCheckpoint.singleFileName, SafetensorsCheckpoint.indexFileName]
        if safetensors.contains(where: { fm.fileExists(atPath: directory.appendingPathComponent($0).path) }) {
            return try SafetensorsWeightSource(directory: directory)
        }
        if PyTorchCheckpoint.exists(in: directory) { return try PyTorchWeightSource(directory: directory) }
        throw .modelNotFound(reference: directory.path,
                             reason: "no model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json")
    }
}
