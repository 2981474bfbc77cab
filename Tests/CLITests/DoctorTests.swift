import Foundation
import SemiInstructCLI
import Testing
import XCTest

struct DoctorReport: Decodable {
    var ok: Bool
    var version: String
    var checks: [DoctorCheck]
}

@Suite struct DoctorTests {
    @Test func jsonOutputParsesAndListsEveryCheck() throws {
        let result = try BuiltBinary.run(["doctor", "--json"])
        let report = try JSONDecoder().decode(DoctorReport.self, from: Data(result.output.utf8))
        #expect(report.checks.map(\.name) == DoctorChecks.names)
        #expect(report.version == SemiInstructVersion.current)
        // `make test` runs `make setup` first, so on a set-up machine every check passes.
        for check in report.checks { #expect(check.ok, "\(check.name): \(check.detail)") }
        #expect(report.ok && result.status == 0)
    }

    @Test func missingModelsFailWithAFixAndNonZeroExit() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("si-empty-cache-\(UUID().uuidString)")
        var environment = ProcessInfo.processInfo.environment
        environment["SEMI_INSTRUCT_CACHE"] = empty.path
        let result = try BuiltBinary.run(["doctor", "--json", "--no-verify"], environment: environment)
        let report = try JSONDecoder().decode(DoctorReport.self, from: Data(result.output.utf8))
        let models = report.checks.filter { $0.name.hasPrefix("model:") }
        #expect(models.count == 2)
        #expect(models.allSatisfy { !$0.ok && $0.fix.contains("make setup") && $0.detail.contains(empty.path) })
        let benchmark = report.checks.first { $0.name == "benchmark:humaneval" }
        #expect(benchmark?.ok == false && benchmark?.fix.contains("decontaminate: false") == true && benchmark?.detail.contains(empty.path) == true)
        #expect(!report.ok && result.status != 0)
    }
}

/// Kept as XCTest so that `swift test` ends with Swift Testing's summary line after XCTest's.
final class VersionTests: XCTestCase {
    func testVersionFlagPrintsTheVersion() throws {
        let result = try BuiltBinary.run(["--version"])
        XCTAssertEqual(result.output.trimmingCharacters(in: .whitespacesAndNewlines), SemiInstructVersion.current)
    }

    func testEverySubcommandHasHelp() throws {
        for command in [[], ["doctor"]] {
            let result = try BuiltBinary.run(command + ["--help"])
            XCTAssertEqual(result.status, 0)
            XCTAssertTrue(result.output.contains("USAGE"), "no usage for \(command)")
        }
    }
}
