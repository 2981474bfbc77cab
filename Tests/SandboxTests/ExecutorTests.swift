// The executor's contract: refuse without isolation, run in parallel in order, keyword arguments, limits.
import Foundation
import Sandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Sandbox executor")
struct ExecutorTests {
    @Test func refusesWithoutBubblewrap() throws {
        var configuration = SandboxConfiguration()
        configuration.bubblewrapPath = "/nonexistent/bwrap"
        do {
            _ = try SandboxExecutor(configuration: configuration)
            Issue.record("ran without isolation")
        } catch let error as SandboxError {
            guard case let .isolationUnavailable(missing, fix) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(missing.contains("/nonexistent/bwrap"))
            #expect(fix.contains("apt-get install bubblewrap"))
            #expect(error.localizedDescription.contains("--unsafe-no-sandbox"))
        }
    }

    @Test func refusesWithoutPython() {
        var configuration = SandboxConfiguration()
        configuration.pythonPath = "/nonexistent/python3"
        #expect(throws: SandboxError.self) { try SandboxExecutor(configuration: configuration) }
    }

    @Test func rejectsBadLimits() {
        var configuration = SandboxConfiguration()
        configuration.memoryMegabytes = 1
        #expect(throws: SandboxError.invalidConfiguration(field: "memoryMegabytes",
                                                          reason: "must be 64 (Python itself needs ~30) to 1048576 (1 TiB), got 1")) {
            try SandboxExecutor(configuration: configuration)
        }
        // 2^43 MiB shifted into bytes overflows to a negative limit, which would lift it: refused, like every huge limit.
        configuration.memoryMegabytes = 8_796_093_022_208
        #expect(throws: SandboxError.self) { try SandboxExecutor(configuration: configuration) }
        for change in [{ (c: inout SandboxConfiguration) in c.maxProcesses = 1 << 40 }, { $0.maxOpenFiles = Int.max },
                       { $0.tmpBytes = Int.max }, { $0.workers = 1 << 30 }] {
            var huge = SandboxConfiguration()
            change(&huge)
            #expect(throws: SandboxError.self) { try huge.validate() }
        }
    }

    @Test func unsafeModeRunsWithoutNamespacesWhenAskedTo() throws {
        var configuration = SandboxConfiguration()
        configuration.isolation = .unsafeNoSandbox
        configuration.bubblewrapPath = "/nonexistent/bwrap"
        configuration.timeoutSeconds = 5
        configuration.processTag = "semi-instruct-test-\(UUID().uuidString)"
        let executor = try SandboxExecutor(configuration: configuration)
        let result = try executor.run(SandboxTestSupport.sample("import os\ndef f(x):\n    return x + 1, os.getpid() != 2\n", ["(1,)", "(2,)"]))
        #expect(result.calls.map(\.description) == ["(2, True)", "(3, True)"])
        #expect(SandboxTestSupport.survivors(tag: configuration.processTag).isEmpty)
    }

    /// As root, unsafe mode still runs the code under a uid of its own, so stragglers can be killed.
    @Test(.enabled(if: geteuid() == 0)) func unsafeModeAsRootKillsDaemons() throws {
        var configuration = SandboxConfiguration()
        configuration.isolation = .unsafeNoSandbox
        configuration.processTag = "semi-instruct-test-\(UUID().uuidString)"
        let code = "import os, time\ndef f():\n    if os.fork() == 0:\n        os.setsid()\n        time.sleep(30)\n        os._exit(0)\n    return os.getuid()\n"
        let call = try SandboxExecutor(configuration: configuration).run(SandboxTestSupport.sample(code, ["()"])).calls[0]
        guard case let .int(text)? = call.value, let uid = Int(text) else {
            Issue.record("no uid: \(call)")
            return
        }
        #expect(uid >= 100_000)
        #expect(SandboxTestSupport.survivors(tag: configuration.processTag).isEmpty)
    }

    @Test func parallelWorkersKeepOrderAndOutput() throws {
        let executor = try SandboxTestSupport.executor(timeout: 5, workers: 2)
        let samples = (0..<12).map { index in
            SandboxTestSupport.sample("import sys\ndef f(x):\n    print('out', x)\n    print('err', x, file=sys.stderr)\n    return x * \(index)\n",
                                      ["(1,)", "(2,)", "{'args': (), 'kwargs': {'x': 3}}"])
        }
        let results = try executor.run(samples)
        for (index, result) in results.enumerated() {
            #expect(result.calls.map { $0.value } == [.int("\(index)"), .int("\(2 * index)"), .int("\(3 * index)")])
            #expect(result.calls[1].stdout == "out 2\n" && result.calls[1].stderr == "err 2\n")
            #expect(result.restarts == 0)
        }
    }

    @Test func asyncRunMatchesBlockingRun() async throws {
        let executor = try SandboxTestSupport.executor()
        let result = try await executor.run([SandboxTestSupport.sample("def f(*a, **k):\n    return a, k\n", ["(1, 'a')", "5", "[1]"])])
        #expect(result[0].calls.map(\.description) == ["((1, 'a'), {})", "((5,), {})", "(([1],), {})"])
    }

    @Test func badInputLiteralIsThatCallsError() throws {
        let result = try SandboxTestSupport.executor().run(SandboxTestSupport.sample("def f(x):\n    return x\n", ["(1,", "__import__('os')", "(2,)"]))
        #expect(result.calls.map(\.status) == [.raised, .raised, .ok])
        #expect(result.calls[0].error?.type == "InvalidInput")
        #expect(result.calls[1].error?.type == "InvalidInput")
    }

    @Test func largeValuesWithinTheLimitArrive() throws {
        let result = try SandboxTestSupport.executor().run(SandboxTestSupport.sample("def f(n):\n    return 'x' * n\n", ["(3000000,)"]))
        #expect(result.calls[0].status == .ok)
        #expect(result.calls[0].value == .string(String(repeating: "x", count: 3_000_000)))
    }

    @Test func doctorProbeSeesTheExecutor() {
        let report = IsolationProbe.check()
        #expect(report.isolated, "\(report.detail)")
    }

    @Test func eachCallStartsFromFreshModuleState() throws {
        let code = "seen = []\ndef f(x):\n    seen.append(x)\n    return len(seen)\n"
        let result = try SandboxTestSupport.executor().run(SandboxTestSupport.sample(code, ["(1,)", "(2,)", "(3,)"]))
        #expect(result.calls.map { $0.value } == [.int("1"), .int("1"), .int("1")])
    }
}

extension CallResult {
    /// The value's Python literal, or the status and error: compact for test expectations.
    var description: String {
        value?.description ?? "\(status.rawValue) \(error?.type ?? "")"
    }
}
