// `semi-instruct exec --json` run in-process through the root command: one JSON object per input, nine keys each.
import ArgumentParser
import Foundation
import SemiInstructCLI
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("exec command", .serialized)
struct ExecCommandTests {
    /// Runs `semi-instruct ARGS` in this process with fd 1 and 2 sent to files; returns what was written there.
    /// Swift Testing also prints to stdout, so callers pick their own lines out of it.
    func runCommand(_ arguments: [String]) async throws -> (output: String, error: String) {
        let directory = FileManager.default.temporaryDirectory
        let outPath = directory.appendingPathComponent("semi-instruct-exec-out-\(UUID().uuidString)").path
        let errPath = directory.appendingPathComponent("semi-instruct-exec-err-\(UUID().uuidString)").path
        defer { unlink(outPath); unlink(errPath) }
        fflush(nil)
        let savedOut = dup(1), savedErr = dup(2)
        let outFile = open(outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600), errFile = open(errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        dup2(outFile, 1)
        dup2(errFile, 2)
        var thrown: Error? = nil
        do {
            var command = try SemiInstruct.parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            thrown = error
        }
        fflush(nil)
        dup2(savedOut, 1)
        dup2(savedErr, 2)
        close(savedOut); close(savedErr); close(outFile); close(errFile)
        if let thrown { throw thrown }
        return (try String(contentsOfFile: outPath, encoding: .utf8), try String(contentsOfFile: errPath, encoding: .utf8))
    }

    func writeFiles(code: String, inputs: String) throws -> (directory: URL, code: URL, inputs: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("semi-instruct-exec-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let codeFile = directory.appendingPathComponent("solution.py"), inputsFile = directory.appendingPathComponent("inputs.txt")
        try Data(code.utf8).write(to: codeFile)
        try Data(inputs.utf8).write(to: inputsFile)
        return (directory, codeFile, inputsFile)
    }

    @Test func jsonLinesPerInput() async throws {
        let files = try writeFiles(code: "def f(a, b=0):\n    print('sum')\n    return {'s': a + b, 't': (a, b)}\n",
                                   inputs: "(1, 2)\n\n{'args': (3,), 'kwargs': {'b': 4}}\n('x', 1)\n")
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let run = try await runCommand(["exec", "--code", files.code.path, "--entry", "f", "--inputs", files.inputs.path,
                                        "--timeout", "5", "--json"])
        // Keys are sorted, so each result line starts with "arguments_after".
        let lines = run.output.split(separator: "\n").filter { $0.hasPrefix(#"{"arguments_after":"#) }
        #expect(lines.count == 3)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        for object in objects {
            #expect(Set(object.keys) == ["status", "value", "error", "stdout", "stderr", "seconds", "cpu_seconds", "arguments_after", "coverage"])
        }
        #expect(objects.map { $0["status"] as? String } == ["ok", "ok", "raised"])
        #expect(lines.first?.contains(#""value":{"dict":[["s",3],["t",{"tuple":[1,2]}]]}"#) == true)
        #expect(objects.count == 3 && objects[1]["stdout"] as? String == "sum\n")
        #expect(objects.count == 3 && (objects[2]["error"] as? [String: Any])?["type"] as? String == "TypeError")
        #expect(objects.count == 3 && objects[0]["error"] is NSNull && objects[2]["value"] is NSNull)
    }

    @Test func unsafeModeWarnsEveryTime() async throws {
        let files = try writeFiles(code: "def f():\n    return 1\n", inputs: "()\n")
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let run = try await runCommand(["exec", "--code", files.code.path, "--entry", "f", "--inputs", files.inputs.path, "--unsafe-no-sandbox"])
        #expect(run.error.contains("WITHOUT a sandbox"))
        #expect(run.output.contains("() -> ok 1 ("))
    }

    @Test func missingFileIsNamed() async throws {
        let files = try writeFiles(code: "def f():\n    return 1\n", inputs: "()\n")
        defer { try? FileManager.default.removeItem(at: files.directory) }
        do {
            _ = try await runCommand(["exec", "--code", "/nonexistent/solution.py", "--entry", "f", "--inputs", files.inputs.path])
            Issue.record("a missing code file was accepted")
        } catch {
            #expect(error.localizedDescription.contains("/nonexistent/solution.py"))
        }
    }

    @Test func codeThatDoesNotCompileIsAnErrorNotAResult() async throws {
        let files = try writeFiles(code: "def f(x:\n    return 1\n", inputs: "(1,)\n(2,)\n")
        defer { try? FileManager.default.removeItem(at: files.directory) }
        do {
            _ = try await runCommand(["exec", "--code", files.code.path, "--entry", "f", "--inputs", files.inputs.path])
            Issue.record("code that does not parse exited 0")
        } catch {
            let message = error.localizedDescription
            #expect(message.contains(files.code.path) && message.contains("does not compile") && message.contains("line 1"), "\(message)")
        }
        // Code that compiles and raises SyntaxError itself is a result like any other.
        let raising = try writeFiles(code: "def f(x):\n    raise SyntaxError('line 3: made up')\n", inputs: "(1,)\n")
        defer { try? FileManager.default.removeItem(at: raising.directory) }
        let (output, _) = try await runCommand(["exec", "--code", raising.code.path, "--entry", "f", "--inputs", raising.inputs.path])
        #expect(output.contains("raised SyntaxError: line 3: made up"))
    }

    @Test func hugeMemoryIsRefusedNotOverflowed() async throws {
        let files = try writeFiles(code: "def f():\n    return 1\n", inputs: "()\n")
        defer { try? FileManager.default.removeItem(at: files.directory) }
        do {
            _ = try await runCommand(["exec", "--code", files.code.path, "--entry", "f", "--inputs", files.inputs.path, "--memory", "8796093022208"])
            Issue.record("a memory limit that overflows was accepted")
        } catch {
            #expect("\(error)".contains("--memory") || error.localizedDescription.contains("memory"), "\(error)")
        }
    }
}
