// The two ends of `bench serve`: a server started as its own process on a free loopback port (ours or llama.cpp's),
// and a load client sending chat completions over HTTP.
import AsyncHTTPClient
import Foundation
import NIOCore

final class ServerProcess: @unchecked Sendable {
    let process: Process
    let base: String

    init(process: Process, port: Int) {
        self.process = process
        base = "http://127.0.0.1:\(port)/v1"
    }

    /// `semi-instruct serve` from this same binary; it says its port on its first line.
    static func semiInstruct(model: String, threads: Int, parallel: Int) throws -> ServerProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", model, "--port", "0", "--threads", String(threads), "--parallel", String(parallel)]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") { line.append(first) }
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #":\d+/v1"#, options: .regularExpression), let port = Int(text[range].dropFirst().dropLast(3)) else {
            process.terminate()
            throw BenchError.server("semi-instruct serve did not start: \(text)")
        }
        return ServerProcess(process: process, port: port)
    }

    /// llama.cpp's server, `parallel` slots of `contextPerSlot` tokens, ready once /health answers 200.
    static func llamaServer(binary: String, model: String, threads: Int, parallel: Int, contextPerSlot: Int) throws -> ServerProcess {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-m", model, "--host", "127.0.0.1", "--port", String(port), "-t", String(threads), "-np", String(parallel),
                             "-c", String(parallel * contextPerSlot), "--alias", "model"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = ServerProcess(process: process, port: port)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            guard process.isRunning else { throw BenchError.server("\(binary) exited with status \(process.terminationStatus)") }
            if let health = URL(string: "http://127.0.0.1:\(port)/health"), (try? Data(contentsOf: health)) != nil { return server }
            Thread.sleep(forTimeInterval: 0.5)
        }
        server.stop()
        throw BenchError.server("\(binary) did not answer /health within 120 s")
    }

    /// SIGTERM, then SIGKILL if it is still there after five seconds: a server left behind would skew the next side.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// A port nothing listens on now: bind to port 0 and read back what the system chose.
    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw BenchError.server("no socket for a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw BenchError.server("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

enum BenchError: LocalizedError {
    case server(String)
    var errorDescription: String? { if case let .server(message) = self { message } else { nil } }
}

/// Chat completions of exactly `maxTokens` tokens each, as many connections open as clients. AsyncHTTPClient, not
/// URLSession: on Linux URLSession's client took over half a core of the two it shared with the server it measured.
struct LoadClient: Sendable {
    let base: String
    let model: String
    let maxTokens: Int
    let client: HTTPClient

    init(base: String, model: String, maxTokens: Int, connections: Int) {
        self.base = base; self.model = model; self.maxTokens = maxTokens
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func measure(clients: Int, requestsPerClient: Int) async throws -> LoadResult {
        let start = DispatchTime.now().uptimeNanoseconds, cpuStart = Measurement.cpuSeconds()
        let answers: [(Double, Int)]
        do {
            answers = try await requests(clients: clients, requestsPerClient: requestsPerClient)
        } catch {
            try? await client.shutdown()
            throw error
        }
        let result = LoadResult(clients: clients, latencies: answers.map(\.0), tokens: answers.reduce(0) { $0 + $1.1 },
                                wall: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, clientCPU: Measurement.cpuSeconds() - cpuStart)
        try await client.shutdown()
        return result
    }

    /// Each client's requests one after another, the clients at once: every request's latency and tokens.
    func requests(clients: Int, requestsPerClient: Int) async throws -> [(Double, Int)] {
        try await withThrowingTaskGroup(of: [(Double, Int)].self) { group in
            for client in 0..<clients {
                group.addTask {
                    var made: [(Double, Int)] = []
                    for round in 0..<requestsPerClient { made.append(try await self.request(client * requestsPerClient + round)) }
                    return made
                }
            }
            return try await group.reduce(into: [(Double, Int)]()) { $0 += $1 }
        }
    }

    /// One request's latency in seconds and the completion tokens its usage reports.
    func request(_ index: Int) async throws -> (Double, Int) {
        var request = HTTPClientRequest(url: base + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: [
            "model": model, "messages": [["role": "user", "content": BenchServe.prompt(index)]], "max_tokens": maxTokens,
            "temperature": 0, "ignore_eos": true,
        ] as [String: Any])))
        let began = DispatchTime.now().uptimeNanoseconds
        let response = try await client.execute(request, timeout: .seconds(600))
        let data = Data(try await response.body.collect(upTo: 1 << 22).readableBytesView)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        guard response.status.code == 200, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let tokens = (object["usage"] as? [String: Any])?["completion_tokens"] as? Int else {
            throw BenchError.server("\(base): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return (seconds, tokens)
    }
}
