// `semi-instruct bench matvec`: matrix-vector products of random weights in each tensor type (decode's
// inner loop), as weight GB/s with wall and CPU time and as a share of a streaming read timed between the
// runs, for 1 and 2 threads and one or several inputs (batched decoding); and dequantisation speed.
import ArgumentParser
import CommandOptions
import Foundation
import Kernels

struct BenchMatvec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matvec",
        abstract: "Time quantized matrix-vector products (default: Abacus's FFN shape, 5760 x 2304) per tensor type.")

    @Option(help: "Tensor types, comma-separated (GGML names).")
    var types = "Q4_K,Q6_K,Q5_0,Q8_0,Q4_1"

    @Option(help: "Matrix rows (outputs).")
    var rows = 5760

    @Option(help: "Matrix columns (inputs); a multiple of 256 for K-quants.")
    var columns = 2304

    @Option(help: "Thread counts, comma-separated.")
    var threads = "1,2"

    @Option(help: "Copies of the matrix cycled through, so the weights stream from memory rather than cache (0: enough for 256 MiB).")
    var copies = 0

    @Option(help: "Inputs multiplied per product (batched decoding's sequences; 1: decode's matrix-vector product).")
    var inputs = 1

    @Option(help: "Timed runs; the median is reported.")
    var repeats = 5

    @Option(help: "Activations: int8 (quantized, the decode default) or float (dequantized on the fly).")
    var precision = ActivationPrecision.int8

    func validate() throws {
        guard rows >= 1, columns >= 32, repeats >= 1, copies >= 0, inputs >= 1 else {
            throw ValidationError("need rows >= 1, columns >= 32, repeats >= 1, inputs >= 1")
        }
        for name in types.split(separator: ",") {
            guard let type = TensorType.allCases.first(where: { $0.description == name }) else {
                throw ValidationError("unknown type \(name); known: \(TensorType.allCases.map(\.description).joined(separator: ", "))")
            }
            guard type.rowBytes(count: columns) != nil else { throw ValidationError("\(columns) columns do not fill \(type) blocks") }
        }
        guard threads.split(separator: ",").allSatisfy({ Int($0).map { $0 >= 1 } == true }) else {
            throw ValidationError("--threads is a comma-separated list of counts >= 1")
        }
    }

    func run() throws {
        let threadCounts = threads.split(separator: ",").compactMap { Int($0) }
        print("bench matvec: \(rows) x \(columns), \(inputs) input\(inputs == 1 ? "" : "s"), \(precision) activations, SIMD \(KernelInfo.simd), "
              + "median of \(repeats)")
        for name in types.split(separator: ",") {
            let type = TensorType.allCases.first { $0.description == name }!
            try measure(type, threadCounts: threadCounts, precision: precision)
        }
    }

    private func measure(_ type: TensorType, threadCounts: [Int], precision: ActivationPrecision) throws {
        let rowBytes = type.rowBytes(count: columns)!
        let matrixBytes = rowBytes * rows
        let count = copies > 0 ? copies : max(1, (256 << 20) / matrixBytes)
        // One random matrix quantized once, then copied: the values do not matter, only the bytes read.
        var random = SplitMix64(seed: 42)
        let values = (0..<rows * columns).map { _ in Float(Int64(bitPattern: random.next() >> 40) - (1 << 23)) / Float(1 << 26) }
        let one = Quantize.row(values, to: type)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: matrixBytes * count, alignment: 64)
        defer { storage.deallocate() }
        for copy in 0..<count { one.withUnsafeBytes { (storage + copy * matrixBytes).copyMemory(from: $0.baseAddress!, byteCount: matrixBytes) } }
        // As a loaded model's: rows repacked for 8-bit products where this type and machine have a layout.
        let matrices = (0..<count).map { copy in
            let matrix = WeightMatrix(type: type, rows: rows, columns: columns, data: storage + copy * matrixBytes)
            return precision == .int8 ? matrix.packedForProducts() : matrix
        }
        let layout = matrices[0].packed != nil ? ", rows packed" : ""
        let xs = ActivationRows(capacity: inputs, columns: columns)
        for i in 0..<inputs * columns { xs.values[i] = Float(i % 19) / 19 - 0.5 }
        let out = UnsafeMutablePointer<Float>.allocate(capacity: rows * inputs)
        defer { out.deallocate() }
        let streaming = StreamingRead()
        for threadCount in threadCounts {
            let pool = WorkerPool(threads: threadCount)
            // Enough products per run to pass every copy at least twice and run for about half a second.
            var products = 2 * count
            let clock = ContinuousClock()
            var walls: [Double] = [], cpus: [Double] = [], shares: [Double] = []
            for run in 0...repeats {
                let cpuStart = BenchEmbed.processCPUSeconds()
                let start = clock.now
                for i in 0..<products {
                    // As a decode step: the batch's products (one sequence is a batch of one), new inputs quantized once.
                    xs.invalidate()
                    BatchMatmul.multiply([matrices[i % count]], xs, rows: inputs, floatFrom: precision == .float ? 0 : nil,
                                         into: [out], pool: pool)
                }
                let wall = (clock.now - start).seconds
                let cpu = BenchEmbed.processCPUSeconds() - cpuStart
                if run == 0 {
                    // Warm-up run sizes the timed ones.
                    products = max(products, Int(0.5 / max(wall / Double(products), 1e-9)))
                    continue
                }
                walls.append(wall / Double(products))
                cpus.append(cpu / Double(products))
                // This machine's read bandwidth right after the run: shared machines drift between runs.
                let read = streaming.pass(pool: pool)
                shares.append(Double(matrixBytes) / (wall / Double(products)) / read)
            }
            let wall = median(walls)
            print("\(type) threads \(threadCount): \(String(format: "%.3f", wall * 1e3)) ms/product, "
                  + "\(String(format: "%.1f", Double(matrixBytes) / wall / 1e9)) GB/s of weights "
                  + "(\(String(format: "%.0f", median(shares) * 100)) % of a streaming read), "
                  + "CPU \(String(format: "%.3f", median(cpus) * 1e3)) ms/product "
                  + "(\(String(format: "%.1f", Double(matrixBytes) / 1e6)) MB matrix x \(count) copies\(layout))")
        }
        // Prompt processing dequantizes weight tiles for sgemm: one thread over the first copy.
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: rows * columns)
        defer { floats.deallocate() }
        let clock = ContinuousClock()
        var walls: [Double] = []
        for run in 0...repeats {
            let start = clock.now
            matrices[0].dequantizeRows(0, count: rows, into: floats)
            if run > 0 { walls.append((clock.now - start).seconds) }
        }
        let wall = median(walls)
        print("\(type) dequantize, 1 thread: \(String(format: "%.3f", wall * 1e3)) ms/matrix, "
              + "\(String(format: "%.2f", Double(rows * columns) / wall / 1e9)) G values/s")
    }
}

private extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
