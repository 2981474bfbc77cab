// Starts `semi-instruct serve` on a free loopback port for the length of a test, and talks to it.
import Foundation
import TestSupport
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

final class ServedModel: @unchecked Sendable {
    let process = Process()
    let port: Int
    var base: String { "http://127.0.0.1:\(port)/v1" }

    /// `arguments` follow `serve` (the model first); the port is always chosen by the system.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = BuiltBinary.url
        process.arguments = ["serve"] + arguments + ["--port", "0"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The first line says where it listens.
        let text = try FakeOpenAIServer.firstLine(of: out.fileHandleForReading)
        guard let range = text.range(of: #"127\.0\.0\.1:(\d+)/v1"#, options: .regularExpression),
              let port = Int(text[range].dropFirst("127.0.0.1:".count).dropLast(3)) else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "serve said: \(text)"])
        }
        self.port = port
    }

    deinit { if process.isRunning { process.terminate() } }

    /// Whether the process has exited, waiting up to `seconds` (polling: waitUntilExit hangs under Swift Testing).
    func exited(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        return !process.isRunning
    }

    struct Answer {
        var status: Int
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        /// The `error` object's fields.
        var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    }

    /// POSTs `body` (an object, or raw text) to `path` under the server's root.
    func post(_ path: String, _ body: Any, headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 300
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        request.httpBody = try (body as? String).map { Data($0.utf8) } ?? JSONSerialization.data(withJSONObject: body)
        return try await send(request)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        return try await send(request)
    }

    func send(_ request: URLRequest) async throws -> Answer {
        // Outside the caller's task: cancelling URLSession requests deadlocks FoundationNetworking on Linux.
        let (data, response) = try await Task { try await URLSession.shared.data(for: request) }.value
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }

    /// A chat completion's first choice's text.
    static func content(_ answer: Answer, choice: Int = 0) -> String? {
        let choices = answer.json["choices"] as? [[String: Any]] ?? []
        guard choice < choices.count else { return nil }
        return (choices[choice]["message"] as? [String: Any])?["content"] as? String ?? choices[choice]["text"] as? String
    }
}
