// Buffers that are streamed whole (packed weights, the KV cache, the benches' read baseline) on 2 MiB pages where
// Linux offers them on request: 4 KiB pages cost a TLB miss every 4 KiB of such a stream (a read is ~13 % slower).
#if canImport(Glibc)
import Glibc
#endif

public enum HugePages {
    public static let size = 2 << 20

    /// `byteCount` bytes, 64-byte aligned; from `size` up, aligned to and asking for 2 MiB pages. Free with `deallocate()`.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 64), alignment: byteCount >= size ? size : 64)
        #if os(Linux)
        if byteCount >= size { _ = madvise(bytes, byteCount, MADV_HUGEPAGE) }
        #endif
        return bytes
    }
}
