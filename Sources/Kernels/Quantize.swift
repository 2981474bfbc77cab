// Float rows -> raw GGML bytes of any tensor type (round-to-nearest with ggml's scale choices): for tests
// and for writing random-weight models of a real model's shape and type mix.
import CKernels

public enum Quantize {
    /// Bytes of `values` in `type`; `values.count` must be a multiple of the type's block size.
    public static func row(_ values: [Float], to type: TensorType) -> [UInt8] {
        let byteCount = byteCount(values: values.count, type: type)
        return [UInt8](unsafeUninitializedCapacity: byteCount) { buffer, count in
            values.withUnsafeBufferPointer { source in
                row(source, to: type, into: UnsafeMutableRawBufferPointer(buffer))
            }
            count = byteCount
        }
    }

    /// Writes `values` in `type` into `into`, which holds exactly the row's bytes (large tensors, in place).
    public static func row(_ values: UnsafeBufferPointer<Float>, to type: TensorType, into: UnsafeMutableRawBufferPointer) {
        precondition(into.count == byteCount(values: values.count, type: type),
                     "quantize: \(into.count) bytes given for \(values.count) values of \(type)")
        guard let source = values.baseAddress, let target = into.baseAddress else { return }
        let status = ck_quantize_row(Int32(type.rawValue), source, target, Int64(values.count))
        precondition(status == 0, "quantize: the C kernels do not write \(type)")
    }

    /// Bytes of `values` values of `type`.
    public static func byteCount(values: Int, type: TensorType) -> Int {
        guard let bytes = type.rowBytes(count: values) else {
            preconditionFailure("quantize: \(values) values do not fill \(type) blocks of \(type.blockSize)")
        }
        return bytes
    }
}
