// A busy machine must give the same dataset as an idle one: budgets are CPU time, and a case too close to its
// budget is dropped whatever the load, so cases near the limit cannot land on either side.
import Foundation
import Pipeline
import Store
import Testing

@Suite(.serialized) struct BusyMachineTests {
    static let code = """
        def work(n):
            total = 0
            for i in range(n):
                total += i * i % 7
            return total
        """

    /// Busy processes that compete with the sandbox for both cores until stopped.
    final class Hog {
        let processes: [Process]
        init(count: Int) throws {
            processes = try (0..<count).map { _ in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                process.arguments = ["-c", "while True: pass"]
                try process.run()
                return process
            }
        }
        /// SIGKILL: processes started from the test runner inherit its blocked signals, SIGTERM among them.
        func stop() {
            for process in processes {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }

    static func build() async throws -> (dataset: String, cases: [String]) {
        // About 0.01 s, 0.03 s, 0.7 s (over half the 1 s budget: too slow to judge) and forever.
        let build = try await TestSetTests.build(["busy.py": code], inputs: [
            "work": ["work(200000)", "work(600001)", "work(16000000)", "work(1000000000000)", "work(3)"],
        ]) { recipe in
            recipe.tests.count = 5
            recipe.sandbox.timeoutSeconds = 1
        }
        defer { try? FileManager.default.removeItem(at: build.folder) }
        // Each build has its own folder: what depends on the path (id, source, recipe hash) is left out.
        let dataset = try String(contentsOfFile: build.result.datasetPath!, encoding: .utf8).split(separator: "\n").map { line in
            var row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for key in ["id", "source", "recipe"] { row.removeValue(forKey: key) }
            return String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self)
        }.joined(separator: "\n")
        // Over half the budget (`slow`) and over all of it (`timeout`) are the same decision: too slow to judge. Which
        // one a case near the budget gets depends on how much shared cores slow each instruction, not on the data.
        let cases = try TestSetTests.cases(build.store, "work").map { testCase -> String in
            var reason = testCase.dropped.map { String($0.prefix { $0 != ":" }) } ?? "used"
            if reason == "slow" || reason == "timeout" { reason = "too-slow" }
            return "\(testCase.arguments) \(testCase.expectedStatus ?? "-") \(testCase.expectedValue ?? "-") \(reason)"
        }
        return (dataset, cases)
    }

    @Test func aCPUHogDoesNotChangeTheData() async throws {
        let idle = try await Self.build()
        #expect(idle.cases.contains("16000000 - - too-slow"), "\(idle.cases)")
        #expect(idle.cases.contains("1000000000000 - - too-slow"), "\(idle.cases)")
        #expect(!idle.dataset.isEmpty)
        let hog = try Hog(count: ProcessInfo.processInfo.activeProcessorCount + 1)
        let busy: (dataset: String, cases: [String])
        do {
            busy = try await Self.build()
            hog.stop()
        } catch {
            hog.stop()
            throw error
        }
        #expect(busy.cases == idle.cases)
        #expect(busy.dataset == idle.dataset)
    }
}
