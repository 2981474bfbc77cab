// The batched product must give each input exactly the single-input dot product, whatever else is in
// the batch: batched decoding relies on it to decode a sequence the same alone or with others.
import CKernels
import Foundation
import Kernels
import Testing

struct BatchMatmulTests {
    /// 96 columns (3 blocks: an odd block count, the tail path) and 576 (SmolLM2's width); types of
    /// 256-value blocks (no batched body: the single-row dot per input) at 512.
    @Test(arguments: TensorType.allCases)
    func everyInputGetsItsSingleDotBitForBit(type: TensorType) {
        for columns in type.blockSize == 256 ? [512] : [96, 576] { check(type, columns: columns) }
    }

    func check(_ type: TensorType, columns: Int) {
        let rows = 13
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: 7)
        var random = SeededRandom(seed: 8)
        let inputs = 9
        let x = ActivationRows(capacity: inputs, columns: columns)
        for i in 0..<inputs * columns { x.values[i] = random.normal() }
        x.invalidate()
        let pool = WorkerPool(threads: 2)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            var single = [Float](repeating: 0, count: inputs * rows)
            for j in 0..<inputs {
                for r in 0..<rows { single[j * rows + r] = BatchMatmul.singleDot(w, row: r, x, input: j) }
            }
            // Every batch size from 1 to 9 covers full tiles and every width of a short last tile.
            for count in 1...inputs {
                var out = [Float](repeating: .nan, count: count * rows)
                out.withUnsafeMutableBufferPointer { o in
                    BatchMatmul.multiply([w], x, rows: count, into: [o.baseAddress!], pool: pool)
                }
                for j in 0..<count {
                    for r in 0..<rows {
                        #expect(out[j * rows + r].bitPattern == single[j * rows + r].bitPattern,
                                "\(type) input \(j) of \(count), row \(r)")
                    }
                }
            }
        }
    }

    /// Float activations (prompt rows): a row's result does not depend on the other rows, and stays close
    /// to the dequantized dot product.
    @Test(arguments: [TensorType.q4_0, .q4_1, .q8_0])
    func floatInputsDoNotDependOnTheBatch(type: TensorType) {
        // 203 rows: each thread's share spans more than one block of dequantized rows (80 at 576 columns).
        let rows = 203, columns = 576, inputs = 7
        let bytes = RandomRows.bytes(type, rows: rows, columns: columns, seed: 17)
        var random = SeededRandom(seed: 18)
        let x = ActivationRows(capacity: inputs, columns: columns)
        for i in 0..<inputs * columns { x.values[i] = random.normal() }
        x.invalidate()
        let pool = WorkerPool(threads: 2)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, columns: columns, data: raw.baseAddress!)
            var all = [Float](repeating: 0, count: inputs * rows)
            all.withUnsafeMutableBufferPointer { o in
                BatchMatmul.multiply([w], x, rows: inputs, floatFrom: 0, into: [o.baseAddress!], pool: pool)
            }
            // Inputs 0-2 in 8 bits, 3-6 as floats, in one call: the float ones agree with the all-float call.
            var mixed = [Float](repeating: 0, count: inputs * rows)
            mixed.withUnsafeMutableBufferPointer { o in
                BatchMatmul.multiply([w], x, rows: inputs, floatFrom: 3, into: [o.baseAddress!], pool: pool)
            }
            for j in 0..<inputs {
                for r in 0..<rows {
                    let reference = BatchMatmul.floatDot(w, row: r, x.row(j))
                    #expect(abs(all[j * rows + r] - reference) <= 1e-4 * max(1, abs(reference)))
                    if j >= 3 { #expect(mixed[j * rows + r].bitPattern == all[j * rows + r].bitPattern) }
                    else { #expect(mixed[j * rows + r].bitPattern == BatchMatmul.singleDot(w, row: r, x, input: j).bitPattern) }
                }
            }
        }
    }

    @Test func severalMatricesShareOnePass() {
        let columns = 64, inputs = 5
        let a = RandomRows.bytes(.q4_1, rows: 6, columns: columns, seed: 1)
        let b = RandomRows.bytes(.q8_0, rows: 10, columns: columns, seed: 2)
        var random = SeededRandom(seed: 3)
        let x = ActivationRows(capacity: inputs, columns: columns)
        for i in 0..<inputs * columns { x.values[i] = random.normal() }
        x.invalidate()
        let pool = WorkerPool(threads: 2)
        a.withUnsafeBytes { ra in
            b.withUnsafeBytes { rb in
                // Packed as a loaded model's: the pass's row ranges cut across both matrices' groups of 16.
                let wa = WeightMatrix(type: .q4_1, rows: 6, columns: columns, data: ra.baseAddress!).packedForProducts()
                let wb = WeightMatrix(type: .q8_0, rows: 10, columns: columns, data: rb.baseAddress!).packedForProducts()
                var outA = [Float](repeating: 0, count: inputs * 6), outB = [Float](repeating: 0, count: inputs * 10)
                outA.withUnsafeMutableBufferPointer { oa in
                    outB.withUnsafeMutableBufferPointer { ob in
                        BatchMatmul.multiply([wa, wb], x, rows: inputs, into: [oa.baseAddress!, ob.baseAddress!], pool: pool)
                    }
                }
                for j in 0..<inputs {
                    for r in 0..<6 { #expect(outA[j * 6 + r] == BatchMatmul.singleDot(wa, row: r, x, input: j)) }
                    for r in 0..<10 { #expect(outB[j * 10 + r] == BatchMatmul.singleDot(wb, row: r, x, input: j)) }
                }
            }
        }
    }

    @Test func halvesRoundTrip() {
        let values: [Float] = (0..<19).map { Float($0) * 0.37 - 3 }
        var halves = [UInt16](repeating: 0, count: values.count)
        var back = [Float](repeating: 0, count: values.count)
        ck_floats_to_halves(values, &halves, Int64(values.count))
        ck_halves_to_floats(halves, &back, Int64(values.count))
        for (i, value) in values.enumerated() {
            #expect(halves[i] == Float16(value).bitPattern)
            #expect(back[i] == Float(Float16(value)))
        }
    }
}
