// Helpers for the sandbox tests: a configured executor, process scans by tag, and host snapshots.
import Foundation
import Sandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

enum SandboxTestSupport {
    /// An isolated executor whose processes carry a tag unique to this test.
    static func executor(timeout: Double = 10, workers: Int = 1, tag: String = "semi-instruct-test-\(UUID().uuidString)",
                         adjust: (inout SandboxConfiguration) -> Void = { _ in }) throws -> SandboxExecutor {
        var configuration = SandboxConfiguration()
        configuration.timeoutSeconds = timeout
        configuration.workers = workers
        configuration.processTag = tag
        adjust(&configuration)
        return try SandboxExecutor(configuration: configuration)
    }

    static func sample(_ code: String, _ inputs: [String], entry: String = "f") -> SampleRequest {
        SampleRequest(code: code, entryPoint: entry, inputs: inputs.map { CallInput(literal: $0) })
    }

    /// PIDs of live processes whose command line contains `tag`; waits up to two seconds for them to vanish,
    /// since a killed PID namespace takes a moment to empty.
    static func survivors(tag: String) -> [Int32] {
        var found: [Int32] = []
        for _ in 0..<40 {
            found = scan(tag: tag)
            if found.isEmpty { return [] }
            usleep(50_000)
        }
        return found
    }

    private static func scan(tag: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let needle = Array(tag.utf8)
        return entries.compactMap { name -> Int32? in
            guard let pid = Int32(name), pid != getpid(),
                  let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let bytes = [UInt8](data)
            guard bytes.count >= needle.count else { return nil }
            for start in 0...(bytes.count - needle.count) where bytes[start..<start + needle.count].elementsEqual(needle) {
                return pid
            }
            return nil
        }
    }

    /// A directory of our own under the host's /tmp, removed by the caller.
    static func hostDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/semi-instruct-sandbox-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func pythonString(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
