// The only door to OpenBLAS: single-precision matrix products and the thread count.
import CBLAS
import Foundation

public enum BLAS {
    /// C[m x n] = alpha * A[m x k] * op(B) + beta * C, all row-major.
    /// `transposeB` reads B as [n x k] (the layout of weight matrices stored as rows of outputs).
    public static func sgemm(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil, transposeB: Bool = false,
        c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        alpha: Float = 1, beta: Float = 0
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda ?? k),
            b, Int32(ldb ?? (transposeB ? k : n)),
            beta, c, Int32(ldc ?? n)
        )
    }

    /// Threads OpenBLAS may use for one call.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }

    /// OpenBLAS's own description: version, build options and the core it chose.
    public static var configuration: String {
        let config = String(cString: openblas_get_config())
        let core = String(cString: openblas_get_corename())
        return "\(config) (core \(core))"
    }

    /// Measures sgemm throughput on square n x n matrices; the median of `repeats` runs, in GFLOP/s.
    public static func measureGFLOPS(size n: Int = 512, repeats: Int = 5) -> Double {
        let a = [Float](repeating: 0.5, count: n * n)
        let b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var rates: [Double] = []
        for _ in 0..<(repeats + 1) {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        sgemm(m: n, n: n, k: n, a: pa.baseAddress!, b: pb.baseAddress!, c: pc.baseAddress!)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
        }
        // The first run warms caches and threads; it is not counted.
        return median(Array(rates.dropFirst()))
    }
}

/// The median of a non-empty list (mean of the middle two for even counts).
public func median(_ values: [Double]) -> Double {
    precondition(!values.isEmpty, "median of an empty list")
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
