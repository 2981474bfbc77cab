// Hostile code must end with a clear status, leave no process behind, change nothing outside the sandbox,
// and leave the executor able to run the next sample.
import Foundation
import Sandbox
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Hostile code", .serialized)
struct HostileCodeTests {
    /// Runs the hostile sample and then a well-behaved one on the same worker, and checks the aftermath.
    func runHostile(_ code: String, inputs: [String] = ["()"], timeout: Double = 10,
                    adjust: (inout SandboxConfiguration) -> Void = { _ in }) throws -> SampleResult {
        let tag = "semi-instruct-test-\(UUID().uuidString)"
        let executor = try SandboxTestSupport.executor(timeout: timeout, workers: 1, tag: tag, adjust: adjust)
        let results = try executor.run([
            SandboxTestSupport.sample(code, inputs),
            SandboxTestSupport.sample("def f(x):\n    return x * 2\n", ["(21,)"]),
        ])
        #expect(SandboxTestSupport.survivors(tag: tag).isEmpty, "processes left behind")
        let next = results[1].calls[0]
        #expect(next.status == .ok && next.value == .int("42"), "the next sample failed: \(next)")
        return results[0]
    }

    func single(_ code: String, timeout: Double = 10) throws -> CallResult {
        try runHostile(code, timeout: timeout).calls[0]
    }

    @Test func infiniteLoopTimesOut() throws {
        let call = try single("def f():\n    while True:\n        pass\n", timeout: 1)
        #expect(call.status == .timeout && call.error?.type == "CPUTime")
        #expect(call.seconds >= 0.9 && call.cpuSeconds >= 1)
    }

    @Test func ignoringSIGTERMStillTimesOut() throws {
        let call = try single("import signal\ndef f():\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    while True:\n        pass\n", timeout: 1)
        #expect(call.status == .timeout)
    }

    @Test func forkBombIsContained() throws {
        // Only a process limit that really binds makes fork fail; without it this loop would time out.
        let call = try single("import os\ndef f():\n    while True:\n        os.fork()\n", timeout: 10)
        #expect(call.status == .raised && call.error?.type == "BlockingIOError", "\(call)")
    }

    @Test func processLimitBinds() throws {
        let code = """
        import os, time
        def f():
            started = 0
            for _ in range(1000):
                try:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    started += 1
                except OSError:
                    break
            return started
        """
        let call = try single(code, timeout: 10)
        guard case let .int(text)? = call.value, let started = Int(text) else {
            Issue.record("no count: \(call)")
            return
        }
        #expect(started > 0 && started < SandboxConfiguration().maxProcesses)
    }

    @Test func persistentForkBombTimesOut() throws {
        // The forking process gets a small share of the CPU among its copies: the wall-clock backstop ends it.
        let code = "import os\ndef f():\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n"
        let call = try runHostile(code, timeout: 1) { $0.wallTimeoutSeconds = 3 }.calls[0]
        #expect(call.status == .timeout)
    }

    @Test func memoryBombHitsTheLimit() throws {
        let call = try single("def f():\n    hoard = []\n    while True:\n        hoard.append(bytearray(10**7))\n")
        #expect(call.status == .memory)
        let huge = try single("def f():\n    return bytearray(10**11)\n")
        #expect(huge.status == .memory)
    }

    @Test func fileSizeAndOpenFileLimits() throws {
        let code = """
        def f(kind):
            if kind == 'big':
                with open('/tmp/big', 'wb') as handle:
                    handle.write(b'x' * (32 << 20))
            else:
                handles = [open('/tmp/f%d' % i, 'w') for i in range(1000)]
            return 'no limit'
        """
        let result = try runHostile(code, inputs: ["('big',)", "('many',)"])
        #expect(result.calls.map(\.status) == [.raised, .raised])
        #expect(result.calls[0].error?.message.contains("File too large") == true, "\(result.calls[0])")
        #expect(result.calls[1].error?.message.contains("Too many open files") == true, "\(result.calls[1])")
    }

    @Test func memoryLimitFollowsTheSetting() throws {
        let code = "def f():\n    block = bytearray(300 << 20)\n    return len(block)\n"
        let small = try runHostile(code) { $0.memoryMegabytes = 256 }
        #expect(small.calls[0].status == .memory)
        let large = try runHostile(code) { $0.memoryMegabytes = 1024 }
        #expect(large.calls[0].status == .ok && large.calls[0].value == .int("\(300 << 20)"))
    }

    @Test func gigabytesOfOutputHitTheOutputLimit() throws {
        let call = try single("import sys\ndef f():\n    for _ in range(10**5):\n        sys.stdout.write('x' * 100000)\n")
        #expect(call.status == .outputLimit)
        #expect(call.stdout.utf8.count < 100_000)
    }

    @Test func networkIsUnreachable() throws {
        // A listener on the host's loopback: the sandbox has its own loopback, so it must never connect.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(listener, pointer, length) == 0 else { return -1 }
                return getsockname(listener, pointer, &length)
            }
        }
        #expect(bound == 0 && listen(listener, 4) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let code = """
        import socket
        def f(port):
            s = socket.socket()
            s.settimeout(1)
            s.connect(('127.0.0.1', port))
            return 'connected'
        def g():
            return socket.getaddrinfo('no-such-host.invalid', 80)
        """
        let executor = try SandboxTestSupport.executor()
        let results = try executor.run([SandboxTestSupport.sample(code, ["(\(port),)"]),
                                        SandboxTestSupport.sample(code, ["()"], entry: "g")])
        #expect(results[0].calls[0].status == .raised)
        #expect(results[0].calls[0].error?.type == "ConnectionRefusedError")
        #expect(results[1].calls[0].status == .raised)
        #expect(results[1].calls[0].error?.type == "socket.gaierror")
        _ = fcntl(listener, F_SETFL, O_NONBLOCK)
        #expect(accept(listener, nil, nil) < 0, "the sandbox reached the host's loopback")
    }

    @Test func filesOutsideTheSandboxAreUntouched() throws {
        let hostTmp = try SandboxTestSupport.hostDirectory()
        defer { try? FileManager.default.removeItem(at: hostTmp) }
        let database = hostTmp.appendingPathComponent("run.sqlite")
        try Data("db".utf8).write(to: database)
        let home = URL(fileURLWithPath: NSHomeDirectory())
        let homeSentinel = home.appendingPathComponent(".semi-instruct-sandbox-test-\(UUID().uuidString)")
        try Data("keep".utf8).write(to: homeSentinel)
        defer { try? FileManager.default.removeItem(at: homeSentinel) }
        let marker = "written-by-sandbox-\(UUID().uuidString)"
        let code = """
        import os
        def f(directory, database, home_file, marker):
            outcomes = []
            for target in (os.path.join('/tmp', marker), os.path.join(directory, marker),
                           os.path.join(os.path.dirname(database), marker), os.path.join(os.path.dirname(home_file), marker)):
                try:
                    with open(target, 'w') as handle:
                        handle.write('x')
                    outcomes.append('wrote')
                except OSError as error:
                    outcomes.append(type(error).__name__)
            for victim in (database, home_file):
                try:
                    os.remove(victim)
                    outcomes.append('removed')
                except OSError as error:
                    outcomes.append(type(error).__name__)
            return outcomes
        """
        let input = "(" + [hostTmp.path, database.path, homeSentinel.path, marker].map(SandboxTestSupport.pythonString).joined(separator: ", ") + ")"
        let call = try runHostile(code, inputs: [input, input]).calls
        // Its own /tmp is writable (and emptied between calls); the host's paths do not exist in there.
        #expect(call[0].status == .ok && call[1].status == .ok)
        #expect(call[0].value?.description == "['wrote', 'FileNotFoundError', 'FileNotFoundError', 'FileNotFoundError', 'FileNotFoundError', 'FileNotFoundError']")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/\(marker)"))
        #expect(!FileManager.default.fileExists(atPath: hostTmp.appendingPathComponent(marker).path))
        #expect(!FileManager.default.fileExists(atPath: home.appendingPathComponent(marker).path))
        #expect(FileManager.default.fileExists(atPath: database.path))
        #expect(FileManager.default.fileExists(atPath: homeSentinel.path))
    }

    @Test func secretsOfTheHostAreInvisible() throws {
        setenv("SEMI_INSTRUCT_SANDBOX_SECRET", "parent-secret-\(UUID().uuidString)", 1)
        defer { unsetenv("SEMI_INSTRUCT_SANDBOX_SECRET") }
        let code = """
        import os
        def f(path):
            try:
                with open(path) as handle:
                    return handle.read()
            except OSError as error:
                return type(error).__name__
        def env():
            found = dict(os.environ)
            try:
                found['parent'] = open('/proc/%d/environ' % os.getppid(), 'rb').read().decode(errors='replace')
            except OSError as error:
                found['parent'] = type(error).__name__
            return found, os.getuid(), os.listdir('/')
        """
        let executor = try SandboxTestSupport.executor()
        let results = try executor.run([SandboxTestSupport.sample(code, ["('/etc/shadow',)", "('/root/.bashrc',)", "('/etc/passwd',)"]),
                                        SandboxTestSupport.sample(code, ["()"], entry: "env")])
        for call in results[0].calls {
            #expect(call.status == .ok && call.value == .string("FileNotFoundError"), "\(call)")
        }
        let environment = results[1].calls[0]
        #expect(environment.status == .ok)
        let text = environment.valueText ?? ""
        #expect(!text.contains("parent-secret"))
        #expect(!text.contains("/root"))
        #expect(text.contains("65534"))
    }

    @Test func killingEverythingOrTheSupervisorLeavesItRunning() throws {
        // The supervisor is PID 1 of its namespace, which no process inside may kill; kill(-1) spares it and the
        // caller, so it finds no process at all.
        // SIGINT too, which Python would otherwise turn into a KeyboardInterrupt in the supervisor.
        for (kill, first) in [("os.kill(-1, 9)", ExecutionStatus.raised), ("os.kill(os.getppid(), 9)", .ok), ("os.kill(os.getppid(), 2)", .ok)] {
            let code = "import os\ndef f(x):\n    if x:\n        \(kill)\n    return 'alive'\n"
            let result = try runHostile(code, inputs: ["(True,)", "(False,)", "(True,)", "(False,)"])
            #expect(result.calls.map(\.status) == [first, .ok, first, .ok], "\(kill): \(result.calls)")
            #expect(result.calls[1].value == .string("alive"))
            #expect(result.restarts == 0)
        }
    }

    /// Six processes of 200 MiB each, each under the per-process limit: together over the sandbox's budget (a 512 MiB
    /// call plus 128 MiB), so the kernel ends some of them and the host never gives the sample more than one budget.
    @Test(.enabled(if: SandboxCgroup.enforcement.hasPrefix("one budget"), "cgroups are not delegated here"))
    func aMemoryBombOfManyProcessesStaysUnderOneBudget() throws {
        // Each child says when its block is filled; the count is taken once every child has said so or died, so a
        // slow machine (children not yet scheduled) cannot make the bomb look smaller than it is.
        let code = """
            import os, time

            def f(n, size_mb):
                ready, said = os.pipe()
                pids = []
                for _ in range(n):
                    pid = os.fork()
                    if pid == 0:
                        try:
                            os.close(ready)
                            block = b"x" * (size_mb << 20)
                            os.write(said, b"+")
                            time.sleep(60)
                        finally:
                            os._exit(0)
                    pids.append(pid)
                os.close(said)
                os.set_blocking(ready, False)
                filled, dead = 0, set()
                deadline = time.monotonic() + 40
                while filled + len(dead) < n and time.monotonic() < deadline:
                    try:
                        filled += len(os.read(ready, 64))
                    except BlockingIOError:
                        pass
                    dead |= {pid for pid in pids if pid not in dead and os.waitpid(pid, os.WNOHANG)[0] != 0}
                    time.sleep(0.05)
                time.sleep(0.5)
                dead |= {pid for pid in pids if pid not in dead and os.waitpid(pid, os.WNOHANG)[0] != 0}
                return n - len(dead)
            """
        let result = try runHostile(code, inputs: ["(6, 200)", "(2, 100)"], timeout: 50) { $0.memoryMegabytes = 512 }
        let alive = Int(result.calls[0].value?.description ?? "") ?? -1
        #expect(result.calls[0].status == .ok && (0...3).contains(alive), "\(result.calls[0])")
        // Under the budget, every process lives.
        #expect(result.calls[1].status == .ok && result.calls[1].value == .int("2"), "\(result.calls[1])")
    }

    /// The attack that worked before: take the supervisor's channel to the host (its fd 4) with pidfd_getfd and write
    /// results for inputs still to come. The call is ended as forbidden, and the next inputs get their own answers.
    @Test func resultsCannotBeForged() throws {
        let code = """
            import ctypes, os

            def f(x):
                if x == 1:
                    libc = ctypes.CDLL(None, use_errno=True)
                    pidfd = libc.syscall(434, os.getppid(), 0)
                    fd = libc.syscall(438, pidfd, 4, 0)
                    for index in (1, 2):
                        os.write(fd, b'{"result":{"status":"ok","value":"\\"FORGED\\"","stdout":"","stderr":"","seconds":0.0,"cpuSeconds":0.0,"index":%d}}\\n' % index)
                return x + 100
            """
        let result = try runHostile(code, inputs: ["(0,)", "(1,)", "(1000,)"])
        #expect(result.calls[0].status == .ok && result.calls[0].value == .int("100"))
        #expect(result.calls[1].status == .forbidden && result.calls[1].error?.type == "ForbiddenSystemCall", "\(result.calls[1])")
        #expect(result.calls[2].status == .ok && result.calls[2].value == .int("1100"), "\(result.calls[2])")
        #expect(result.restarts == 0)
    }

    @Test func theSupervisorCannotBeTracedOrRead() throws {
        // Tracing it, reading its memory through process_vm_readv: refused by seccomp, the call ended as forbidden.
        for attempt in ["libc.ptrace(16, os.getppid(), 0, 0)", "libc.ptrace(16, 1, 0, 0)",
                        "libc.process_vm_readv(os.getppid(), None, 0, None, 0, 0)", "libc.syscall(425, 8, None)"] {
            let code = "import ctypes, os\ndef f():\n    libc = ctypes.CDLL(None, use_errno=True)\n    return \(attempt)\n"
            let call = try single(code)
            #expect(call.status == .forbidden, "\(attempt): \(call)")
        }
        // Its /proc files (memory, descriptors) are closed to code under test: it is not dumpable.
        let code = """
            import os

            def f():
                found = []
                for path, flags in (("/proc/1/mem", os.O_RDWR), ("/proc/1/fd/4", os.O_WRONLY), ("/proc/1/environ", os.O_RDONLY)):
                    try:
                        os.close(os.open(path, flags))
                        found.append("opened")
                    except OSError as error:
                        found.append(type(error).__name__)
                try:
                    os.listdir("/proc/1/fd")
                    found.append("listed")
                except OSError as error:
                    found.append(type(error).__name__)
                # The call's own process is an ordinary one.
                found.append(len(os.listdir("/proc/self/fd")) > 2)
                return found
            """
        let call = try single(code)
        #expect(call.status == .ok && call.value?.description == "['PermissionError', 'PermissionError', 'PermissionError', 'PermissionError', True]",
                "\(call)")
    }

    @Test func daemonsThatOutliveTheCallAreKilled() throws {
        let code = """
        import os, time
        def f():
            os.setsid()
            if os.fork() == 0:
                if os.fork() == 0:
                    time.sleep(30)
                os._exit(0)
            return 'forked'
        """
        let result = try runHostile(code, inputs: ["()", "()"])
        #expect(result.calls.allSatisfy { $0.status == .ok && $0.value == .string("forked") })
    }

    @Test func segfaultIsAKilledStatus() throws {
        let call = try single("import ctypes\ndef f():\n    return ctypes.string_at(0)\n")
        #expect(call.status == .killed)
        #expect(call.error?.type == "SIGSEGV")
    }

    @Test func exitInsideTheFunction() throws {
        let exit = try single("import sys\ndef f():\n    sys.exit(4)\n")
        #expect(exit.status == .raised && exit.error?.type == "SystemExit" && exit.error?.message == "4")
        let hardExit = try single("import os\ndef f():\n    os._exit(3)\n")
        #expect(hardExit.status == .crashed)
        #expect(hardExit.error?.message.contains("status 3") == true)
    }

    @Test func unboundedRecursionRaises() throws {
        let call = try single("def f():\n    return f()\n")
        #expect(call.status == .raised && call.error?.type == "RecursionError")
    }

    @Test func stdinIsEmpty() throws {
        let result = try runHostile("import sys\ndef f(line):\n    return input() if line else sys.stdin.read()\n", inputs: ["(True,)", "(False,)"])
        #expect(result.calls[0].status == .raised && result.calls[0].error?.type == "EOFError")
        #expect(result.calls[1].status == .ok && result.calls[1].value == .string(""))
    }

    @Test func threadsStillRunningDoNotHoldTheResult() throws {
        let code = "import threading, time\ndef f():\n    threading.Thread(target=time.sleep, args=(60,)).start()\n    return 'done'\n"
        let call = try single(code)
        #expect(call.status == .ok && call.value == .string("done"))
        #expect(call.seconds < 30)
    }

    @Test func unserializableAndHugeReturnValues() throws {
        let broken = try single("class Opaque:\n    def __repr__(self):\n        raise ValueError('no repr')\ndef f():\n    return Opaque()\n")
        #expect(broken.status == .raised && broken.error?.type == "UnserializableValue")
        let huge = try single("def f():\n    return 'x' * 100_000_000\n")
        #expect(huge.status == .outputLimit)
    }

    @Test func unparsableCodeAndMissingFunction() throws {
        let syntax = try runHostile("def f(:\n    pass\n", inputs: ["()", "()"])
        #expect(syntax.calls.allSatisfy { $0.status == .raised && $0.error?.type == "SyntaxError" })
        let missing = try single("def g():\n    return 1\n")
        #expect(missing.status == .raised && missing.error?.type == "NameError")
    }
}
