// Checks, without running untrusted code, that OS isolation for Python works on this machine.
import Foundation

public struct IsolationReport: Sendable, Codable, Equatable {
    public var bubblewrap: String?
    public var python: String?
    public var pythonVersion: String?
    /// True when a bubblewrap namespace started Python as an unprivileged user with only a loopback interface.
    public var isolated: Bool
    public var detail: String
}

public enum IsolationProbe {
    public static let bubblewrapPath = "/usr/bin/bwrap"
    /// Debian's interpreter: the pyenv shim on PATH is a bash script that another uid cannot run.
    public static let pythonPath = "/usr/bin/python3"

    public static func check() -> IsolationReport {
        let fm = FileManager.default
        var report = IsolationReport(bubblewrap: nil, python: nil, pythonVersion: nil, isolated: false, detail: "")
        guard fm.isExecutableFile(atPath: pythonPath) else {
            report.detail = "\(pythonPath) not found; install it with: apt-get install python3"
            return report
        }
        report.python = pythonPath
        report.pythonVersion = (try? capture(pythonPath, ["-c", "import sys; print(sys.version.split()[0])"]))?.output
        guard fm.isExecutableFile(atPath: bubblewrapPath) else {
            report.detail = "bubblewrap not found; install it with: apt-get install bubblewrap (or run make setup)"
            return report
        }
        report.bubblewrap = bubblewrapPath
        let arguments = [
            "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
            "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
            "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            "--uid", "65534", "--gid", "65534",
            pythonPath, "-I", "-c",
            "import socket, os; print(len(socket.if_nameindex()), os.getuid(), os.getpid())",
        ]
        do {
            let result = try capture(bubblewrapPath, arguments)
            // One interface (loopback), the unprivileged uid, and PID 2 (bwrap's init is PID 1): all namespaces took.
            if result.status == 0 && result.output == "1 65534 2" {
                // The executor adds an unprivileged outer uid, rlimits and its supervisor: check that path too.
                do {
                    _ = try SandboxExecutor(configuration: SandboxConfiguration())
                    report.isolated = true
                    let seccomp = SeccompFilter.program() == nil ? "no seccomp program for this architecture"
                        : "seccomp refuses \(SeccompFilter.refused.count) system calls"
                    report.detail = "bubblewrap namespace: no network, pid namespace, uid 65534; \(seccomp); memory \(SandboxCgroup.enforcement); "
                        + "sandbox executor starts"
                } catch {
                    report.detail = "bubblewrap works but the sandbox executor does not: \(error.localizedDescription)"
                }
            } else {
                report.detail = "bubblewrap ran but isolation was incomplete (exit \(result.status)): \(result.output) \(result.error)"
                    .trimmingCharacters(in: .whitespaces)
            }
        } catch {
            report.detail = "could not start bubblewrap: \(error.localizedDescription)"
        }
        return report
    }

    struct Captured { var status: Int32; var output: String; var error: String }

    static func capture(_ executable: String, _ arguments: [String]) throws -> Captured {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = [:]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Captured(status: process.terminationStatus,
                        output: String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                        error: String(decoding: error, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
