// `semi-instruct exec`: call one function of a Python file on each input line, in the sandbox.
import ArgumentParser
import CommandOptions
import Foundation
import Pipeline
import Sandbox

struct Exec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Python function on inputs in the sandbox and print one result per input.")

    @Option(help: "The Python source file.")
    var code: String

    @Option(help: "The function to call.")
    var entry: String

    @Option(help: "A file with one Python literal per line: a tuple of positional arguments, or {'args': (...), 'kwargs': {...}}.")
    var inputs: String

    @Option(help: "CPU seconds per call (user + system); a wall-clock backstop of max(4x, x + 5) seconds stops code that sleeps or blocks.")
    var timeout: Double = 5

    @Option(help: "Address-space limit per process, in MiB.")
    var memory: Int = 512

    @Flag(help: "Print one JSON object per line with status, value, error, stdout, stderr, seconds, cpu_seconds, arguments_after and coverage.")
    var json = false

    @Flag(help: "Record the lines and arcs each call executes (printed with --json).")
    var trace = false

    @Flag(name: .customLong("unsafe-no-sandbox"), help: "Run WITHOUT isolation when bubblewrap is unavailable (warns every time).")
    var unsafeNoSandbox = false

    func validate() throws {
        if timeout <= 0 { throw ValidationError("--timeout must be positive, got \(timeout)") }
        let memoryRange = 64...SandboxConfiguration.maxMemoryMegabytes
        if !memoryRange.contains(memory) { throw ValidationError("--memory must be \(memoryRange.lowerBound) to \(memoryRange.upperBound) MiB, got \(memory)") }
    }

    func run() async throws {
        let source = try InputFile.text(code)
        let lines = try InputFile.text(inputs).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        var configuration = SandboxConfiguration()
        configuration.timeoutSeconds = timeout
        configuration.memoryMegabytes = memory
        configuration.isolation = unsafeNoSandbox ? .unsafeNoSandbox : .bubblewrap
        let executor = try SandboxExecutor(configuration: configuration)
        let request = SampleRequest(code: source, entryPoint: entry, inputs: lines.map { CallInput(literal: $0) }, trace: trace)
        let result = try await executor.run([request])[0]
        if let failure = Self.compileFailure(result.calls) {
            throw PipelineError.input(path: code, message: "the code does not compile (\(failure.type), \(failure.message)); no input was run")
        }
        for (line, call) in zip(lines, result.calls) {
            print(json ? try Self.jsonLine(call) : Self.textLine(input: line, call))
        }
    }

    /// The supervisor answers every input of code that does not compile with the compiler's error, unrun: a
    /// SyntaxError (or its subclasses) as "line N: ...", in no time. Nil when the code ran.
    static func compileFailure(_ calls: [CallResult]) -> ExecutionFailure? {
        guard let first = calls.first?.error, ["SyntaxError", "IndentationError", "TabError"].contains(first.type),
              first.message.hasPrefix("line "),
              calls.allSatisfy({ $0.status == .raised && $0.error == first && $0.cpuSeconds == 0 && $0.seconds == 0 }) else { return nil }
        return first
    }

    struct JSONLine: Encodable {
        var status: String
        var value: CanonicalValue?
        var error: ExecutionFailure?
        var stdout: String
        var stderr: String
        var seconds: Double
        var cpuSeconds: Double
        /// Canonical value of `(args, kwargs)` after the call.
        var argumentsAfter: CanonicalValue?
        var coverage: Coverage?

        enum CodingKeys: String, CodingKey {
            case status, value, error, stdout, stderr, seconds
            case cpuSeconds = "cpu_seconds", argumentsAfter = "arguments_after", coverage
        }

        // Nulls are written out, so every line has all nine keys.
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            if let value { try container.encode(value, forKey: .value) } else { try container.encodeNil(forKey: .value) }
            if let error { try container.encode(error, forKey: .error) } else { try container.encodeNil(forKey: .error) }
            try container.encode(stdout, forKey: .stdout)
            try container.encode(stderr, forKey: .stderr)
            try container.encode(seconds, forKey: .seconds)
            try container.encode(cpuSeconds, forKey: .cpuSeconds)
            if let argumentsAfter { try container.encode(argumentsAfter, forKey: .argumentsAfter) } else { try container.encodeNil(forKey: .argumentsAfter) }
            if let coverage { try container.encode(coverage, forKey: .coverage) } else { try container.encodeNil(forKey: .coverage) }
        }
    }

    static func jsonLine(_ call: CallResult) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = JSONLine(status: call.status.rawValue, value: call.value, error: call.error,
                            stdout: call.stdout, stderr: call.stderr, seconds: call.seconds, cpuSeconds: call.cpuSeconds,
                            argumentsAfter: call.argumentsAfter.flatMap { try? CanonicalValue(canonicalText: $0) },
                            coverage: call.coverage)
        return String(decoding: try encoder.encode(line), as: UTF8.self)
    }

    static func textLine(input: String, _ call: CallResult) -> String {
        var text = "\(input) -> \(call.status.rawValue)"
        if let value = call.value { text += " \(value)" }
        if let error = call.error { text += " \(error.type): \(error.message)" }
        text += String(format: " (%.3f s, %.3f s CPU)", call.seconds, call.cpuSeconds)
        for (name, output) in [("stdout", call.stdout), ("stderr", call.stderr)] where !output.isEmpty {
            text += "\n  \(name): " + output.trimmingCharacters(in: .newlines).replacingOccurrences(of: "\n", with: "\n          ")
        }
        return text
    }
}
