import Kernels
import Testing

@Suite struct BLASTests {
    /// Deterministic pseudo-random values in [-1, 1).
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    @Test(arguments: [(1, 1, 1), (3, 5, 7), (17, 33, 65), (64, 48, 96)])
    func sgemmMatchesNaiveLoop(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = Self.values(m * k, seed: 1), b = Self.values(k * n, seed: 2)
        var c = [Float](repeating: 0, count: m * n)
        BLAS.sgemm(m: m, n: n, k: k, a: a, b: b, c: &c)
        let expected = Reference.matmul(m: m, n: n, k: k, a: a, b: b)
        for i in 0..<(m * n) { #expect(abs(c[i] - expected[i]) <= 1e-4 * Float(k), "element \(i)") }
    }

    @Test func sgemmWithTransposedWeights() {
        let (m, n, k) = (5, 9, 13)
        let a = Self.values(m * k, seed: 3), bt = Self.values(n * k, seed: 4)
        var c = [Float](repeating: 0, count: m * n)
        BLAS.sgemm(m: m, n: n, k: k, a: a, b: bt, transposeB: true, c: &c)
        let expected = Reference.matmul(m: m, n: n, k: k, a: a, b: bt, transposeB: true)
        for i in 0..<(m * n) { #expect(abs(c[i] - expected[i]) <= 1e-4 * Float(k)) }
    }

    @Test func alphaAndBetaAccumulate() {
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c: [Float] = [1, 1, 1, 1]
        BLAS.sgemm(m: 2, n: 2, k: 2, a: a, b: b, c: &c, alpha: 2, beta: 1)
        #expect(c == [39, 45, 87, 101])
    }

    @Test func measuredThroughputIsPositive() {
        #expect(BLAS.measureGFLOPS(size: 64, repeats: 3) > 0)
    }

    @Test func medianOfOddAndEvenCounts() {
        #expect(median([3, 1, 2]) == 2)
        #expect(median([4, 1, 3, 2]) == 2.5)
    }
}
