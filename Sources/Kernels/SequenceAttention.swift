// Encoder self-attention over one packed sequence (CKernels' sequence_attention.c): per head, scores
// Q K^T on our GEMM, a vectorized row softmax, then scores times V.
import CKernels

public enum SequenceAttention {
    /// `qkv` is `length` rows of [queries | keys | values] (3 * heads * headSize floats); each head's context
    /// goes to its columns of `context` (rows heads * headSize wide). No mask: a packed sequence is alone,
    /// so every token sees exactly its own sequence.
    public static func run(qkv: UnsafePointer<Float>, length: Int, heads: Int, headSize: Int, scale: Float,
                           context: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let width = heads * headSize
        ck_sequence_attention(qkv, Int64(3 * width), Int64(length), Int64(heads), Int64(headSize), scale, context,
                              Int64(width), scratch)
    }

    /// Floats of scratch `run` needs for sequences up to `longest` tokens.
    public static func scratchCount(longest: Int, headSize: Int) -> Int {
        ck_sequence_attention_scratch(Int64(longest), Int64(headSize))
    }

    /// Softmax of each row in place (rows `width` long, `stride` apart), as attention computes it.
    public static func softmaxRows(_ data: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int) {
        ck_softmax_rows(data, Int64(rows), Int64(width), Int64(stride))
    }
}
