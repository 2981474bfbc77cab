// Our own single-precision GEMM (CKernels' gemm.c): AVX-512 micro-kernel where the CPU has it, AVX2 or
// portable C elsewhere. On Zen 5 it runs about 1.7x faster than OpenBLAS's Haswell kernels for the
// encoder's shapes. Single-threaded per call: callers split rows over their own threads.
import CKernels

/// A right-hand operand packed once for the micro-kernel (a weight matrix, the k-means centroids).
public final class PackedMatrix: @unchecked Sendable {
    /// Columns of the product (output features, or centroids).
    public let columns: Int
    /// The shared inner dimension.
    public let depth: Int
    let storage: UnsafeMutablePointer<Float>

    /// Packs B = `values` read as [depth x columns], or as [columns x depth] (a Linear weight, one row per
    /// output) when `transposed`; rows are `stride` floats apart (default: tightly packed).
    public init(_ values: UnsafePointer<Float>, columns: Int, depth: Int, transposed: Bool, stride: Int? = nil) {
        precondition(columns > 0 && depth > 0, "a packed matrix needs columns and depth above zero")
        self.columns = columns
        self.depth = depth
        storage = .allocate(capacity: ck_gemm_packed_count(Int64(columns), Int64(depth)))
        ck_gemm_pack_b(Int64(columns), Int64(depth), values, Int64(stride ?? (transposed ? depth : columns)),
                       transposed ? 1 : 0, storage)
    }

    public init(_ values: [Float], columns: Int, depth: Int, transposed: Bool) {
        precondition(columns > 0 && depth > 0, "a packed matrix needs columns and depth above zero")
        precondition(values.count == columns * depth, "expected \(columns) x \(depth) values, got \(values.count)")
        self.columns = columns
        self.depth = depth
        storage = .allocate(capacity: ck_gemm_packed_count(Int64(columns), Int64(depth)))
        values.withUnsafeBufferPointer { v in
            ck_gemm_pack_b(Int64(columns), Int64(depth), v.baseAddress!, Int64(transposed ? depth : columns),
                           transposed ? 1 : 0, storage)
        }
    }

    deinit { storage.deallocate() }
}

public enum GEMM {
    public enum Path: Int32, CaseIterable, Sendable {
        case portable = 0, avx2 = 1, avx512 = 2

        public var name: String { String(cString: ck_gemm_path_name(rawValue)) }
        public var isSupported: Bool { ck_gemm_supports(rawValue) != 0 }
        /// The fastest path this CPU runs.
        public static var best: Path { Path(rawValue: ck_gemm_best_path()) ?? .portable }
    }

    /// C[m x columns] = alpha * A[m x depth] * B + beta * C (row-major; beta 0 never reads C).
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int? = nil, b: PackedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil, alpha: Float = 1, beta: Float = 0, path: Path = .best
    ) {
        ck_sgemm_packed_on(path.rawValue, Int64(m), Int64(b.columns), Int64(b.depth), alpha, a, Int64(lda ?? b.depth),
                           b.storage, beta, c, Int64(ldc ?? b.columns))
    }

    /// `BLAS.sgemm`'s contract on our kernel, packing B on the way (for operands used once).
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        alpha: Float = 1, beta: Float = 0
    ) {
        let status = ck_sgemm(Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda ?? k), b,
                              Int64(ldb ?? (transposeB ? k : n)), transposeB ? 1 : 0, beta, c, Int64(ldc ?? n))
        // The only failure is an allocation of n x k floats; Swift's own allocator traps the same way.
        precondition(status == 0, "out of memory packing a \(k) x \(n) matrix")
    }

    /// For each of `m` rows of A, the column of B with the largest inner product (lowest column on ties)
    /// and that product, without storing the m x columns product.
    public static func argmax(
        m: Int, a: UnsafePointer<Float>, lda: Int? = nil, b: PackedMatrix,
        bestColumn: UnsafeMutablePointer<Int32>, bestValue: UnsafeMutablePointer<Float>, path: Path = .best
    ) {
        let status = ck_gemm_argmax_on(path.rawValue, Int64(m), Int64(b.columns), Int64(b.depth), a,
                                       Int64(lda ?? b.depth), b.storage, bestColumn, bestValue)
        precondition(status == 0, "out of memory for a \(b.columns)-column product tile")
    }
}
