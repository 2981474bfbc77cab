// Re-encodes the tensors of a GGUF model in another tensor type, as llama.cpp's llama-quantize does: every
// metadata key is copied (tokenizer, chat template, architecture), matrices are dequantized a row at a time and
// quantized again, and 1-D tensors (norms) and tensors that already have the target type are copied byte for
// byte. Only one tensor's output bytes are in memory at a time, so a model of any size streams through.
import Foundation
import Kernels

/// What a model is quantized to: one type for every matrix, or llama.cpp's Q4_K_M mix.
public enum GGUFQuantTarget: Equatable, Sendable, CustomStringConvertible {
    case uniform(TensorType)
    case q4KM

    /// The names `--type` accepts, in the order help lists them.
    public static let names = ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "Q4_K_M", "F16", "BF16", "F32"]

    /// A target from its name (case-insensitive); nil for names not in `names`.
    public init?(name: String) {
        let upper = name.uppercased()
        guard Self.names.contains(upper) else { return nil }
        if upper == "Q4_K_M" {
            self = .q4KM
        } else if let type = TensorType.allCases.first(where: { $0.description == upper }) {
            self = .uniform(type)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .uniform(type): type.description
        case .q4KM: "Q4_K_M"
        }
    }

    /// llama.cpp's `llama_ftype`, written as `general.file_type` (a uniform K type is its "_S" file type).
    var fileType: UInt32 {
        switch self {
        case .q4KM: 15
        case let .uniform(type):
            switch type {
            case .f32: 0
            case .f16: 1
            case .q4_0: 2
            case .q4_1: 3
            case .q8_0: 7
            case .q5_0: 8
            case .q5_1: 9
            case .q4_K: 14
            case .q5_K: 16
            case .q6_K: 18
            case .bf16: 32
            }
        }
    }
}

public struct GGUFQuantizer {
    /// What happens to one tensor of the input.
    public struct Step: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let from: TensorType
        public let to: TensorType
        /// Why `to` is not the type asked for (rows that do not fill its blocks), else nil.
        public let note: String?
        /// Same type in and out: the bytes are copied, nothing is lost.
        public var copiesBytes: Bool { from == to }
        public var byteCount: Int { shape.reduce(1, *) / to.blockSize * to.blockBytes }
    }

    public let input: GGUFFile
    public let target: GGUFQuantTarget
    /// One step per input tensor, in file order.
    public let steps: [Step]

    /// Plans the conversion; throws for tensors of types this engine cannot read.
    public init(input: GGUFFile, target: GGUFQuantTarget) throws(ModelFileError) {
        self.input = input
        self.target = target
        let tiedHead = input.tensor(named: "output.weight") == nil
        let architecture = try input.optionalString("general.architecture") ?? "llama"
        // As llama.cpp, which counts the layers it meets when the key is absent.
        let blockIndices = input.tensors.compactMap { GGUFQuantMix.layerIndex($0.name) }
        let layerCount = try input.optionalInt("\(architecture).block_count") ?? (blockIndices.max().map { $0 + 1 } ?? 0)
        var steps: [Step] = []
        for info in input.tensors {
            guard let from = info.type else {
                throw .unsupportedTensorType(file: input.url.path, tensor: info.name, type: info.typeName)
            }
            // As llama.cpp: only weights of two or more dimensions are quantized; norms and biases keep their type.
            guard info.shape.count >= 2, info.name.hasSuffix("weight") else {
                steps.append(Step(name: info.name, shape: info.shape, from: from, to: from, note: nil))
                continue
            }
            let asked = switch target {
            case let .uniform(type): type
            case .q4KM: GGUFQuantMix.q4KMPreferred(info.name, layerCount: layerCount, tiedHead: tiedHead)
            }
            let columns = info.shape[0]
            let chosen = GGUFQuantMix.fitting(asked, columns: columns)
            let note = chosen == asked ? nil
                : "rows of \(columns) values do not fill \(asked) blocks of \(asked.blockSize); written as \(chosen)"
            steps.append(Step(name: info.name, shape: info.shape, from: from, to: chosen, note: note))
        }
        self.steps = steps
    }

    /// Bytes of tensor data the output will hold (without the header and alignment padding).
    public var outputTensorBytes: Int { steps.reduce(0) { $0 + $1.byteCount } }

    /// Writes the quantized model to `url`, which must not exist yet; the file appears only when complete.
    /// `progress(step, index)` is called as each tensor starts; `threads` share each tensor's rows.
    public func write(to url: URL, threads: Int = 1, progress: @escaping (Step, Int) -> Void = { _, _ in }) throws(ModelFileError) {
        guard !FileManager.default.fileExists(atPath: url.path) else {
            throw .cannotOpen(file: url.path, reason: "the output file already exists; remove it or choose another name")
        }
        var writer = GGUFWriter(alignment: input.alignment)
        for key in input.keys { writer.set(key, input.metadata[key]!) }
        writer.set("general.file_type", .uint32(target.fileType))
        writer.set("general.quantization_version", .uint32(2))

        let pool = WorkerPool(threads: threads)
        for (index, (step, info)) in zip(steps, input.tensors).enumerated() {
            let source = try input.rows(of: info)
            try writer.addTensor(step.name, shape: step.shape, type: step.to, byteCount: step.byteCount) { buffer in
                progress(step, index)
                Self.encode(source, as: step.to, into: buffer, pool: pool)
            }
        }
        let partial = url.appendingPathExtension("partial")
        try? FileManager.default.removeItem(at: partial)
        do {
            try writer.write(to: partial)
            try FileManager.default.moveItem(at: partial, to: url)
        } catch {
            try? FileManager.default.removeItem(at: partial)
            if let error = error as? ModelFileError { throw error }
            throw .cannotOpen(file: url.path, reason: "could not move the finished file into place: \(error.localizedDescription)")
        }
    }

    /// `source` in `type`, row by row: copied when the types match, else dequantized and quantized again.
    static func encode(_ source: WeightMatrix, as type: TensorType, into buffer: UnsafeMutableRawBufferPointer, pool: WorkerPool) {
        if source.type == type {
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: source.data, count: source.rows * source.rowBytes))
            return
        }
        let columns = source.columns
        let rowBytes = Quantize.byteCount(values: columns, type: type)
        pool.parallelFor(source.rows) { rows in
            let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: columns)
            defer { scratch.deallocate() }
            for row in rows {
                source.dequantizeRow(row, into: scratch.baseAddress!)
                let target = UnsafeMutableRawBufferPointer(rebasing: buffer[row * rowBytes..<(row + 1) * rowBytes])
                Quantize.row(UnsafeBufferPointer(scratch), to: type, into: target)
            }
        }
    }
}
