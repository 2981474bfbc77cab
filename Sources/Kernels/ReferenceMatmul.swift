// Naive reference loops that the fast paths are tested against. Slow on purpose: clarity over speed.

public enum Reference {
    /// C[m x n] = A[m x k] * B, with B given as [k x n] or, when `transposeB`, as [n x k]. Row-major.
    public static func matmul(m: Int, n: Int, k: Int, a: [Float], b: [Float], transposeB: Bool = false) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let bv = transposeB ? b[j * k + p] : b[p * n + j]
                    sum += Double(a[i * k + p]) * Double(bv)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }
}
