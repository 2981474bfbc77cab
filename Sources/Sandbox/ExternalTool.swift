// Trusted helper programs (Ruff) run outside the sandbox: located in the project's tool folder.
import Foundation

public enum ExternalTool {
    /// Ruff installed by `make setup` under the cache's tool folder, else one on PATH.
    public static func ruff(cacheRoot: URL) -> URL? {
        let pinned = cacheRoot.appendingPathComponent("tools/ruff/bin/ruff")
        if FileManager.default.isExecutableFile(atPath: pinned.path) { return pinned }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("ruff")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs a trusted tool and returns its exit status and output; stdin gets `input` when given.
    public static func run(_ executable: URL, _ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : inp
        try process.run()
        if let input {
            // Write from another thread so a large input cannot deadlock against a full output pipe.
            let writer = inp.fileHandleForWriting
            DispatchQueue.global().async {
                writer.write(input)
                try? writer.close()
            }
        }
        // Drain stderr concurrently for the same reason.
        nonisolated(unsafe) var errorData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }
}
