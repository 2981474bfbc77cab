import Foundation
import SemiInstructCLI
import Testing
import XCTest

/// Runs the built `semi-instruct` binary, which sits next to the test bundle in the build folder.
enum BuiltBinary {
    static var url: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("semi-instruct")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("semi-instruct")
    }

    static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

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
