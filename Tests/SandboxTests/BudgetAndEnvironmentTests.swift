// CPU-time budgets make results independent of machine load; the two environment variants differ in everything
// code should not depend on, and pure code gives the same result under both.
import Foundation
import Sandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("CPU budgets and environments", .serialized)
struct BudgetAndEnvironmentTests {
    /// Busy processes on the host for the duration of `body`: load a timing could otherwise depend on.
    func withCPUHogs<R>(_ count: Int = 3, _ body: () throws -> R) throws -> R {
        let hogs = try (0..<count).map { _ -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = ["-c", "while True: pass"]
            try process.run()
            return process
        }
        defer {
            for hog in hogs {
                // SIGKILL: the children inherit the test runner's blocked signals, SIGTERM among them.
                kill(hog.processIdentifier, SIGKILL)
                hog.waitUntilExit()
            }
        }
        usleep(200_000)  // let them reach their loops
        return try body()
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    // The budget counts CPU, not the clock: a call that waits past its budget is not cut, whatever the load.
    @Test func waitingIsNotChargedToTheBudget() throws {
        let executor = try SandboxTestSupport.executor(timeout: 1) { $0.wallTimeoutSeconds = 20 }
        let call = try withCPUHogs { try executor.run(SandboxTestSupport.sample("import time\ndef f():\n    time.sleep(2.5)\n    return 'woke'\n", ["()"])).calls[0] }
        #expect(call.status == .ok && call.value == .string("woke"), "\(call)")
        #expect(call.seconds >= 2.5 && call.cpuSeconds < 0.5, "\(call)")
    }

    // Under load a CPU-bound call answers the same, within its budget, and is charged its own CPU time (not the
    // wall time the hogs stretch it to); the bound is loose because shared cores slow each instruction too.
    @Test func busyLoopUnderLoadAnswersTheSameWithinItsBudget() throws {
        let executor = try SandboxTestSupport.executor(timeout: 20)
        let loop = SandboxTestSupport.sample("def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n",
                                             Array(repeating: "(4_000_000,)", count: 3))
        let alone = try executor.run(loop).calls
        let loaded = try withCPUHogs { try executor.run(loop).calls }
        #expect((alone + loaded).allSatisfy { $0.status == .ok && $0.value == alone[0].value })
        #expect(loaded.allSatisfy { $0.cpuSeconds <= $0.seconds + 0.05 }, "\(loaded.map { ($0.cpuSeconds, $0.seconds) })")
        let quiet = median(alone.map(\.cpuSeconds)), busy = median(loaded.map(\.cpuSeconds))
        #expect(quiet > 0 && busy < quiet * 3, "CPU seconds alone \(alone.map(\.cpuSeconds)), under load \(loaded.map(\.cpuSeconds))")
    }

    @Test func busyLoopPastTheBudgetIsACPUTimeout() throws {
        let executor = try SandboxTestSupport.executor(timeout: 1)
        let call = try withCPUHogs { try executor.run(SandboxTestSupport.sample("def f():\n    while True:\n        pass\n", ["()"])).calls[0] }
        #expect(call.status == .timeout && call.error?.type == "CPUTime", "\(call)")
        #expect(call.cpuSeconds >= 1)
    }

    @Test func sleepingPastTheWallBackstopIsAWallClockTimeout() throws {
        let executor = try SandboxTestSupport.executor(timeout: 1) { $0.wallTimeoutSeconds = 1.5 }
        let call = try executor.run(SandboxTestSupport.sample("import time\ndef f():\n    time.sleep(30)\n", ["()"])).calls[0]
        #expect(call.status == .timeout && call.error?.type == "WallClock", "\(call)")
        #expect(call.cpuSeconds < 1)
    }

    @Test func wallBackstopDefaultsToAMultipleOfTheBudget() {
        var configuration = SandboxConfiguration()
        configuration.timeoutSeconds = 1
        #expect(configuration.effectiveWallTimeoutSeconds == 6)
        configuration.timeoutSeconds = 10
        #expect(configuration.effectiveWallTimeoutSeconds == 40)
        configuration.wallTimeoutSeconds = 12
        #expect(configuration.effectiveWallTimeoutSeconds == 12)
    }

    static let environmentProbe = """
    import os, socket, time
    def cwd():
        return os.getcwd()
    def clock():
        return time.strftime('%H:%M', time.localtime(0))
    def host():
        return socket.gethostname()
    def descriptor():
        os.fstat(10)
        return 'open'
    def descriptors():
        return sorted(int(name) for name in os.listdir('/proc/self/fd'))
    def pure(words):
        return sorted(set(words)), {w: len(w) for w in words}
    """

    func probe(variant: Int, unsafe: Bool = false) throws -> [String: CallResult] {
        let executor = try SandboxTestSupport.executor {
            $0.environmentVariant = variant
            if unsafe { $0.isolation = .unsafeNoSandbox }
        }
        let entries = ["cwd", "clock", "host", "descriptor", "descriptors", "pure"]
        let results = try executor.run(entries.map { entry in
            SandboxTestSupport.sample(Self.environmentProbe, [entry == "pure" ? "(['b', 'a', 'b', 'c'],)" : "()"], entry: entry)
        })
        return Dictionary(uniqueKeysWithValues: zip(entries, results.map { $0.calls[0] }))
    }

    @Test func variantsDifferInWhatCodeShouldNotDependOn() throws {
        let first = try probe(variant: 0), second = try probe(variant: 1)
        #expect(first["cwd"]?.value == .string("/tmp") && second["cwd"]?.value == .string("/tmp/elsewhere/w"))
        #expect(first["clock"]?.value == .string("00:00") && second["clock"]?.value == .string("05:30"))
        #expect(first["host"]?.value == .string("sandbox") && second["host"]?.value == .string("sandbox-b"))
        #expect(first["descriptor"]?.status == .raised && first["descriptor"]?.error?.type == "OSError")
        #expect(second["descriptor"]?.status == .ok && second["descriptor"]?.value == .string("open"))
        // Variant 0: 0-2, the listing's own descriptor, and the result pipe at the top of the 64 allowed.
        #expect(first["descriptors"]?.value?.description == "[0, 1, 2, 3, 63]")
        #expect(second["descriptors"]?.value?.description == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 63]")
        #expect(first["pure"]?.status == .ok && first["pure"]?.valueText == second["pure"]?.valueText)
    }

    @Test func unsafeModeAppliesWhatItCan() throws {
        let first = try probe(variant: 0, unsafe: true), second = try probe(variant: 1, unsafe: true)
        // Each unsafe sandbox has a work directory of its own; variant 1 runs further down in its own.
        guard case let .string(home)? = first["cwd"]?.value, case let .string(elsewhere)? = second["cwd"]?.value else {
            Issue.record("no cwd: \(String(describing: first["cwd"])), \(String(describing: second["cwd"]))")
            return
        }
        #expect(!home.hasSuffix("/elsewhere/w") && elsewhere.hasSuffix("/elsewhere/w"))
        #expect(first["clock"]?.value == .string("00:00") && second["clock"]?.value == .string("05:30"))
        #expect(first["descriptor"]?.status == .raised && second["descriptor"]?.status == .ok)
        #expect(first["pure"]?.status == .ok && first["pure"]?.valueText == second["pure"]?.valueText)
    }
}
