// Our own GEMM (CKernels' gemm.c, gemm_bf16.c): an AVX-512 FP32 micro-kernel where the CPU has it, AVX2 or
// portable C elsewhere, and bfloat16 weights for AVX-512 BF16. On Zen 5 FP32 runs about 1.7x faster than
// OpenBLAS's Haswell kernels for the encoder's shapes, bfloat16 about 1.6x faster again. Single-threaded per
// call: callers split rows over their own threads.
import CKernels

/// A right-hand operand packed once for the micro-kernel (a weight matrix, the k-means centroids).
public final class PackedMatrix: @unchecked Sendable {
    /// How the values are stored: FP32, or rounded to bfloat16 (for AVX-512 BF16 products, summed in FP32).
    public enum Precision: String, CaseIterable, Sendable {
        case float32, bfloat16

        /// bfloat16 needs AVX-512 BF16; float32 runs everywhere.
        public var isSupported: Bool { self == .float32 || ck_gemm_bf16_supported() != 0 }
    }

    /// Columns of the product (output features, or centroids).
    public let columns: Int
    /// The shared inner dimension.
    public let depth: Int
    public let precision: Precision
    let storage: UnsafeMutableRawPointer

    /// Packs B = `values` read as [depth x columns], or as [columns x depth] (a Linear weight, one row per
    /// output) when `transposed`; rows are `stride` floats apart (default: tightly packed).
    public init(_ values: UnsafePointer<Float>, columns: Int, depth: Int, transposed: Bool, stride: Int? = nil,
                precision: Precision = .float32) {
        precondition(columns > 0 && depth > 0, "a packed matrix needs columns and depth above zero")
        precondition(precision.isSupported, "bfloat16 products need AVX-512 BF16")
        self.columns = columns
        self.depth = depth
        self.precision = precision
        let (n, k, ldb) = (Int64(columns), Int64(depth), Int64(stride ?? (transposed ? depth : columns)))
        switch precision {
        case .float32:
            let floats = UnsafeMutablePointer<Float>.allocate(capacity: ck_gemm_packed_count(n, k))
            ck_gemm_pack_b(n, k, values, ldb, transposed ? 1 : 0, floats)
            storage = UnsafeMutableRawPointer(floats)
        case .bfloat16:
            let halves = UnsafeMutablePointer<UInt16>.allocate(capacity: ck_gemm_packed_bf16_count(n, k))
            ck_gemm_pack_b_bf16(n, k, values, ldb, transposed ? 1 : 0, halves)
            storage = UnsafeMutableRawPointer(halves)
        }
    }

    public convenience init(_ values: [Float], columns: Int, depth: Int, transposed: Bool, precision: Precision = .float32) {
        precondition(values.count == columns * depth, "expected \(columns) x \(depth) values, got \(values.count)")
        // The packed copy is made inside init; the pointer does not outlive this call.
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        defer { copy.deallocate() }
        _ = UnsafeMutableBufferPointer(start: copy, count: values.count).initialize(from: values)
        self.init(copy, columns: columns, depth: depth, transposed: transposed, precision: precision)
    }

    deinit { storage.deallocate() }

    var floats: UnsafePointer<Float> { UnsafePointer(storage.assumingMemoryBound(to: Float.self)) }
    var halves: UnsafePointer<UInt16> { UnsafePointer(storage.assumingMemoryBound(to: UInt16.self)) }
}

public enum GEMM {
    public enum Path: Int32, CaseIterable, Sendable {
        case portable = 0, avx2 = 1, avx512 = 2

        public var name: String { String(cString: ck_gemm_path_name(rawValue)) }
        public var isSupported: Bool { ck_gemm_supports(rawValue) != 0 }
        /// The fastest path this CPU runs.
        public static var best: Path { Path(rawValue: ck_gemm_best_path()) ?? .portable }
    }

    /// C[m x columns] = alpha * A[m x depth] * B + beta * C (row-major; beta 0 never reads C). A bfloat16 B
    /// rounds A to bfloat16 too and sums in FP32 (`path` applies to FP32 only).
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int? = nil, b: PackedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil, alpha: Float = 1, beta: Float = 0, path: Path = .best
    ) {
        let (rows, n, k, lda, ldc) = (Int64(m), Int64(b.columns), Int64(b.depth), Int64(lda ?? b.depth), Int64(ldc ?? b.columns))
        switch b.precision {
        case .float32: ck_sgemm_packed_on(path.rawValue, rows, n, k, alpha, a, lda, b.floats, beta, c, ldc)
        case .bfloat16: ck_sgemm_bf16_packed(rows, n, k, alpha, a, lda, b.halves, beta, c, ldc)
        }
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
        precondition(b.precision == .float32, "arg max runs on FP32 centroids")
        let status = ck_gemm_argmax_on(path.rawValue, Int64(m), Int64(b.columns), Int64(b.depth), a,
                                       Int64(lda ?? b.depth), b.floats, bestColumn, bestValue)
        precondition(status == 0, "out of memory for a \(b.columns)-column product tile")
    }
}
