// Runs one shim call with an error buffer and turns a non-zero status into a Swift error.
import CFaiss

enum FaissCall {
    static func run(_ operation: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        var buffer = [CChar](repeating: 0, count: 1024)
        let status = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        if status != 0 {
            let message = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw VectorIndexError.faiss(operation: operation, message: message)
        }
    }
}

public enum Faiss {
    /// Version of the linked Faiss library.
    public static var version: String { String(cString: si_faiss_version()) }

    /// Threads Faiss may use (OpenMP).
    public static func setThreads(_ n: Int) { si_faiss_set_threads(Int32(n)) }
}
