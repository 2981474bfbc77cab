// Which SIMD paths the quantized kernels chose on this CPU (for benchmarks and `model info`).
import CKernels

public enum KernelInfo {
    public static var simd: String { String(cString: ck_simd_description()) }
}
