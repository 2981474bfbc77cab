// An input vector for matrix-vector products, kept both as floats and quantized to 8-bit blocks
// (llama.cpp's trick for Q4_x and Q8_0 weights); one quantization serves every matrix reading it.
import CKernels

public final class Activations: @unchecked Sendable {
    public let count: Int
    public let values: UnsafeMutablePointer<Float>
    let blocks: UnsafeMutablePointer<ck_block_q8a>
    private var quantizedIsCurrent = false

    public init(count: Int) {
        self.count = count
        values = .allocate(capacity: count)
        values.initialize(repeating: 0, count: count)
        blocks = .allocate(capacity: max(1, (count + 31) / 32))
    }

    deinit {
        values.deallocate()
        blocks.deallocate()
    }

    /// Call after writing `values`, so the next product re-quantizes.
    public func invalidate() { quantizedIsCurrent = false }

    /// The quantized blocks, made on first use after a change.
    func quantized() -> UnsafePointer<ck_block_q8a> {
        if !quantizedIsCurrent {
            precondition(count % 32 == 0, "activation length \(count) is not a multiple of 32")
            ck_quantize_row_q8a(values, blocks, Int64(count))
            quantizedIsCurrent = true
        }
        return UnsafePointer(blocks)
    }

    public subscript(i: Int) -> Float {
        get { values[i] }
        set { values[i] = newValue; quantizedIsCurrent = false }
    }
}
