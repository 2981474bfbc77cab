import Foundation
import Testing

/// `semi-instruct build` with `collect.kinds: [whole-class]`, the real embedded SmolLM2 and the real sandbox: small
/// classes are samples, the model writes tests that build an object and call its methods (under the class's call
/// grammar), augment joins calls of different methods on one object, and a class comes out as a dataset row.
@Suite(.serialized) struct ClassBuildEndToEndTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/classes/tally.py")

    @Test func smallClassesBecomeRowsWithTestsOfSeveralMethods() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("si-classes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Self.fixture, to: dir.appendingPathComponent("tally.py"))
        let recipe = dir.appendingPathComponent("recipe.yaml")
        try """
            name: classes
            inputs:
              - path: \(dir.appendingPathComponent("tally.py").path)
            collect:
              kinds: [whole-class]
            sampling:
              max_tokens: 384
              attempts: 2
            tests:
              count: 8
              minimum: 3
            dedup:
              enabled: false
            """.write(to: recipe, atomically: true, encoding: .utf8)
        let run = dir.appendingPathComponent("run")
        let (status, _) = try BuildEndToEndTests.finish(["build", recipe.path, "--run", run.path, "--quiet"])
        #expect(status == 0)
        let database = run.appendingPathComponent("run.sqlite")
        let entries = try BuildEndToEndTests.sqlite(database, "select entryPoint from sample where entryPoint like 'class %' order by entryPoint")
        #expect(entries == "class Stack\nclass Tally\n")
        // The model's own tests bind: each class kept at least one that builds its object and calls a method.
        let modelTests = try BuildEndToEndTests.sqlite(database, """
            select s.entryPoint, count(*) from testCase t join sample s on s.id = t.sampleId
            where t.origin = 'model' and t.dropped is null and t.expectedStatus is not null and t.literal like '%''calls'': [%'
            group by s.entryPoint order by s.entryPoint
            """)
        let counts = modelTests.split(separator: "\n").map { $0.split(separator: "|") }
        #expect(counts.count == 2 && counts.allSatisfy { Int($0[1]) ?? 0 >= 1 }, "\(modelTests)")
        // The dataset: a class is the answer, and among its tests are calls of two methods on one object.
        let rows = try String(contentsOf: run.appendingPathComponent("dataset.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!rows.isEmpty)
        for row in rows {
            let entry = row["entry_point"] as? String ?? ""
            let name = String(entry.dropFirst(6))
            #expect(entry.hasPrefix("class ") && (row["response"] as? String ?? "").contains("class \(name)"))
            let inputs = (row["tests"] as? [[String: Any]] ?? []).compactMap { $0["input"] as? String }
            #expect(inputs.allSatisfy { $0.hasPrefix("\(name)(") || $0.hasPrefix("obj = \(name)(") }, "\(inputs)")
            #expect(inputs.contains { $0.hasPrefix("obj = \(name)(") && $0.components(separatedBy: "; obj.").count == 3 }, "\(inputs)")
        }
    }
}
