// Our GEMM on every path this CPU runs, against the naive loop and OpenBLAS: odd shapes that cross the
// micro-kernel's edges (rows, 32-column panels, 256-deep blocks), strides, both B layouts, alpha and beta;
// bfloat16 weights against the naive loop on rounded values.
import Kernels
import Testing

@Suite struct GEMMTests {
    static let paths = GEMM.Path.allCases.filter(\.isSupported)

    /// (m, n, k): single elements, edges of a 12-row strip and a 32-column panel, more than one 256-deep block.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (3, 5, 7), (12, 32, 256), (13, 33, 257), (49, 97, 300), (100, 1000, 384), (7, 31, 600), (50, 64, 513),
    ]

    @Test func portablePathIsAlwaysThere() {
        #expect(GEMM.Path.portable.isSupported)
        #expect(GEMM.Path.best.isSupported)
    }

    @Test(arguments: paths)
    func packedProductMatchesNaiveLoop(path: GEMM.Path) {
        for (m, n, k) in Self.shapes {
            for transposed in [false, true] {
                let a = BLASTests.values(m * k, seed: 11), b = BLASTests.values(n * k, seed: 12)
                let packed = PackedMatrix(b, columns: n, depth: k, transposed: transposed)
                var c = [Float](repeating: .nan, count: m * n)  // beta 0 must not read C
                a.withUnsafeBufferPointer { pa in
                    c.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, a: pa.baseAddress!, b: packed, c: pc.baseAddress!, path: path)
                    }
                }
                let expected = Reference.matmul(m: m, n: n, k: k, a: a, b: b, transposeB: transposed)
                let worst = zip(c, expected).map { abs($0 - $1) }.max()!
                #expect(worst <= 1e-5 * Float(k), "\(path.name) \(m)x\(n)x\(k) transposed \(transposed): error \(worst)")
            }
        }
    }

    @Test(arguments: paths)
    func stridesAlphaAndBetaMatchOpenBLAS(path: GEMM.Path) {
        let (m, n, k) = (29, 70, 300)
        let (lda, ldb, ldc) = (k + 3, k + 5, n + 9)
        let a = BLASTests.values(m * lda, seed: 21), b = BLASTests.values(n * ldb, seed: 22)
        let start = BLASTests.values(m * ldc, seed: 23)
        var ours = start, theirs = start
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                let packed = PackedMatrix(pb.baseAddress!, columns: n, depth: k, transposed: true, stride: ldb)
                ours.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(m: m, a: pa.baseAddress!, lda: lda, b: packed, c: pc.baseAddress!, ldc: ldc,
                                  alpha: 0.5, beta: 1.5, path: path)
                }
                theirs.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb, transposeB: true,
                               c: pc.baseAddress!, ldc: ldc, alpha: 0.5, beta: 1.5)
                }
            }
        }
        for i in 0..<m {
            for j in 0..<ldc {
                let index = i * ldc + j
                if j < n {
                    #expect(abs(ours[index] - theirs[index]) <= 1e-3, "\(path.name) (\(i), \(j))")
                } else {
                    #expect(ours[index] == start[index], "\(path.name) wrote past column \(n) at (\(i), \(j))")
                }
            }
        }
    }

    /// Rounds to bfloat16 (nearest even), as the packing and the kernel do.
    static func bfloat16(_ value: Float) -> Float {
        let bits = value.bitPattern
        return Float(bitPattern: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000)
    }

    @Test(.enabled(if: PackedMatrix.Precision.bfloat16.isSupported))
    func bfloat16ProductMatchesNaiveLoopOnRoundedValues() {
        // Odd depths leave half a pair; 300 and 600 cross the 256-deep blocks.
        for (m, n, k) in Self.shapes + [(5, 40, 17), (5, 40, 31)] {
            for transposed in [false, true] {
                let a = BLASTests.values(m * k, seed: 51), b = BLASTests.values(n * k, seed: 52)
                let packed = PackedMatrix(b, columns: n, depth: k, transposed: transposed, precision: .bfloat16)
                let start = BLASTests.values(m * n, seed: 53)
                var c = start
                a.withUnsafeBufferPointer { pa in
                    c.withUnsafeMutableBufferPointer { pc in
                        GEMM.multiply(m: m, a: pa.baseAddress!, b: packed, c: pc.baseAddress!, alpha: 2, beta: 0.5)
                    }
                }
                let product = Reference.matmul(m: m, n: n, k: k, a: a.map(Self.bfloat16), b: b.map(Self.bfloat16),
                                               transposeB: transposed)
                let worst = (0..<(m * n)).map { abs(c[$0] - (2 * product[$0] + 0.5 * start[$0])) }.max()!
                #expect(worst <= 2e-5 * Float(k), "\(m)x\(n)x\(k) transposed \(transposed): error \(worst)")
            }
        }
    }

    @Test func unpackedEntryPointMatchesOpenBLAS() {
        let (m, n, k) = (40, 45, 33)
        let a = BLASTests.values(m * k, seed: 31), b = BLASTests.values(k * n, seed: 32)
        var ours = [Float](repeating: 1, count: m * n), theirs = ours
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                ours.withUnsafeMutableBufferPointer {
                    GEMM.sgemm(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: $0.baseAddress!, beta: -1)
                }
                theirs.withUnsafeMutableBufferPointer {
                    BLAS.sgemm(m: m, n: n, k: k, a: pa.baseAddress!, b: pb.baseAddress!, c: $0.baseAddress!, beta: -1)
                }
            }
        }
        #expect(zip(ours, theirs).allSatisfy { abs($0 - $1) <= 1e-4 })
    }

    @Test(arguments: paths)
    func argmaxFindsTheBestColumnWithLowestIndexOnTies(path: GEMM.Path) {
        let (m, n, k) = (103, 1000, 40)
        var a = BLASTests.values(m * k, seed: 41)
        var b = BLASTests.values(n * k, seed: 42)
        // Row 0 of A equals column 7 and column 900 of B exactly: a tie the lower column must win.
        for p in 0..<k { b[900 * k + p] = b[7 * k + p]; a[p] = b[7 * k + p] * 10 }
        let packed = PackedMatrix(b, columns: n, depth: k, transposed: true)
        var columns = [Int32](repeating: -1, count: m), values = [Float](repeating: 0, count: m)
        a.withUnsafeBufferPointer { pa in
            GEMM.argmax(m: m, a: pa.baseAddress!, b: packed, bestColumn: &columns, bestValue: &values, path: path)
        }
        let products = Reference.matmul(m: m, n: n, k: k, a: a, b: b, transposeB: true)
        #expect(columns[0] == 7)
        for i in 0..<m {
            let row = products[(i * n)..<((i + 1) * n)]
            let best = row.max()!
            #expect(abs(values[i] - best) <= 1e-4, "\(path.name) row \(i)")
            // The chosen column is within rounding of the best; exact float ties go to the lower column.
            #expect(row[i * n + Int(columns[i])] >= best - 1e-4, "\(path.name) row \(i)")
        }
    }
}
