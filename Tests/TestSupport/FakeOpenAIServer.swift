// Starts Tests/Fixtures/remote/fake_openai.py on a loopback port for the length of a test.
import Foundation

public final class FakeOpenAIServer: @unchecked Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/remote/fake_openai.py")

    let process = Process()
    public let port: Int
    public var base: String { "http://127.0.0.1:\(port)/v1" }

    /// `owner` is the `owned_by` its model list gives (which kind of server a client takes it for).
    public init(log: URL? = nil, owner: String = "fake-org") throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.script.path]
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_OPENAI_OWNER"] = owner
        if let log { environment["FAKE_OPENAI_LOG"] = log.path }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line is the port.
        guard let port = Int(try Self.firstLine(of: out.fileHandleForReading)) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    // Not waitUntilExit: it waits on a run loop that a test's thread never runs, and Foundation reaps the child anyway.
    deinit { process.terminate() }

    /// The first line a child process writes, read byte by byte so nothing after it is consumed.
    public static func firstLine(of handle: FileHandle) throws -> String {
        var line = Data()
        while let byte = try handle.read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") { line.append(first) }
        return String(decoding: line, as: UTF8.self)
    }

    /// A model name of the given behaviour that no other test shares (the server counts requests per model).
    public static func model(_ behaviour: String) -> String { "\(behaviour)-\(UUID().uuidString.prefix(8))" }
}
