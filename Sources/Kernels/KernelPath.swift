// The SIMD bodies a quantized dot product can run; tests run every available one against the reference.
import CKernels

public enum KernelPath: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case portable = 0
    case avx2 = 1
    case avxVNNI = 2
    case avx512VNNI = 3

    /// Whether this CPU can run the path (the portable one always can).
    public var isAvailable: Bool { ck_path_available(rawValue) != 0 }

    public static var available: [KernelPath] { allCases.filter(\.isAvailable) }

    public var description: String {
        switch self {
        case .portable: "portable C"
        case .avx2: "AVX2"
        case .avxVNNI: "AVX-VNNI"
        case .avx512VNNI: "AVX-512 VNNI"
        }
    }
}

extension Matvec {
    /// One row's dot product with 8-bit activations through a chosen path (a type without a body for the
    /// path uses the next lower one).
    public static func dot(_ w: WeightMatrix, row: Int, _ x: Activations, path: KernelPath) -> Float {
        precondition(w.type.isQuantized, "dot: \(w.type) has no 8-bit activation path")
        precondition(x.count == w.columns, "dot: input has \(x.count) values, matrix has \(w.columns) columns")
        return ck_dot_quantized_with(path.rawValue, Int32(w.type.rawValue), w.rowPointer(row), x.quantized(),
                                     Int64(w.columns / 32))
    }
}

extension WeightMatrix {
    /// Row `row` as floats through a chosen path (the SIMD paths dequantize with AVX2).
    public func dequantizeRow(_ row: Int, into: UnsafeMutablePointer<Float>, path: KernelPath) {
        ck_dequantize_row_with(path.rawValue, Int32(type.rawValue), rowPointer(row), into, Int64(columns))
    }
}
