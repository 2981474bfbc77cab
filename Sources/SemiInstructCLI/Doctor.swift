// `semi-instruct doctor`: what works on this machine, and how to fix what does not.
import ArgumentParser
import Foundation

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that OpenBLAS, Faiss, SQLite, the sandbox, Python, Ruff and the default models work here.")

    @Flag(help: "Print the checks as one JSON object.")
    var json = false

    @Flag(name: .customLong("no-verify"), help: "Skip recomputing the models' sha256 checksums.")
    var noVerify = false

    func run() async throws {
        let checks = DoctorChecks.runAll(verifyChecksums: !noVerify)
        let healthy = checks.allSatisfy { $0.ok || !$0.required }
        if json {
            struct Report: Encodable { var ok: Bool; var version: String; var checks: [DoctorCheck] }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Report(ok: healthy, version: SemiInstructVersion.current, checks: checks))
            print(String(decoding: data, as: UTF8.self))
        } else {
            for check in checks {
                print("\(check.ok ? "OK  " : "FAIL") \(check.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(check.detail)")
                if !check.ok { print("     fix: \(check.fix)") }
            }
            print(healthy ? "All required checks passed." : "Some required checks failed; see the fixes above.")
        }
        if !healthy { throw ExitCode(1) }
    }
}
