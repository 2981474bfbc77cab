// What a call did, compared as a whole: its return value, the state it left its arguments in, the exception it
// raised inside the function, and (as a recipe option) what it printed. Also the lines and decisions it reached.
import Foundation
import Store

enum Behaviour {
    /// The first way `actual` differs from `expected`, or nil when they behave the same.
    /// Exception messages never decide (they are noted by the caller); exception types do.
    static func difference(expected: CaseResult, actual: CaseResult, runner: any CodeRunner, compareOutput: Bool) -> String? {
        guard expected.status == actual.status else {
            return "expected \(summary(expected)), got \(summary(actual))"
        }
        switch expected.status {
        case "ok":
            if let left = expected.value, let right = actual.value, !runner.sameValue(left, right) {
                return "returned \(short(right)) instead of \(short(left))"
            }
        case "raised":
            if expected.exceptionType != actual.exceptionType {
                return "raised \(actual.exceptionType ?? "?") instead of \(expected.exceptionType ?? "?")"
            }
        default:
            return nil
        }
        if let before = expected.argumentsAfter {
            guard let after = actual.argumentsAfter else { return "left its arguments in a state that cannot be read" }
            if !runner.sameValue(before, after) { return "left its arguments as \(short(after)) instead of \(short(before))" }
        }
        if compareOutput && expected.stdout != actual.stdout {
            return "printed \(short(actual.stdout.debugDescription)) instead of \(short(expected.stdout.debugDescription))"
        }
        return nil
    }

    /// A key that is equal for equal behaviours, to count the distinct outputs of a test set. The arguments'
    /// state counts only where the call changed them: arguments passed through untouched are not an output.
    static func key(_ result: CaseResult, compareOutput: Bool) -> String {
        let state = result.argumentsChanged == true ? result.argumentsAfter ?? "" : ""
        var parts = [result.status, result.status == "raised" ? result.exceptionType ?? "" : result.value ?? "", state]
        if compareOutput { parts.append(result.stdout) }
        return parts.joined(separator: "\u{1F}")
    }

    /// The expected behaviour stored with a test case.
    static func expected(_ testCase: TestCaseRecord) -> CaseResult {
        let raised = testCase.expectedStatus == "raised"
        return CaseResult(status: testCase.expectedStatus ?? "", value: raised ? nil : testCase.expectedValue,
                          error: raised ? "\(testCase.expectedValue ?? ""): \(testCase.expectedMessage ?? "")" : nil,
                          stdout: testCase.expectedOutput ?? "", argumentsAfter: testCase.expectedState,
                          argumentsChanged: testCase.mutates)
    }

    /// Records `result` as the expected behaviour of `testCase`.
    static func setExpected(_ testCase: inout TestCaseRecord, _ result: CaseResult) {
        testCase.expectedStatus = result.status
        testCase.expectedValue = result.status == "raised" ? result.exceptionType : result.value
        testCase.expectedMessage = result.exceptionMessage
        testCase.expectedState = result.argumentsAfter
        testCase.mutates = result.argumentsChanged
        testCase.expectedOutput = result.stdout.isEmpty ? nil : result.stdout
        testCase.cpuSeconds = result.cpuSeconds
    }

    /// Which of `facts` (text only this machine would produce) occur in the result.
    static func environmentFact(in result: CaseResult, facts: [String]) -> String? {
        let texts = [result.value, result.argumentsAfter, result.error, result.stdout.isEmpty ? nil : result.stdout].compactMap { $0 }
        return facts.first { fact in texts.contains { $0.contains(fact) } }
    }

    static func short(_ text: String, limit: Int = 120) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 3)) + "..."
    }
}

/// The lines and decision outcomes one call of the original reached, within its entry point.
struct CaseCoverage: Codable, Sendable, Hashable {
    var lines: [Int]
    /// `LINE:taken` or `LINE:not-taken` for each decision outcome seen.
    var branches: [String]

    /// Reads the tracer's lines and arcs against the entry point's map. A decision was taken when control
    /// went from its header to its body's first line, and not taken when it went to another line outside the
    /// header, or returned from the decision's own function (not from a comprehension or lambda in the header,
    /// and not by an exception, which the tracer writes as an arc to 0).
    init(map: CoverageMap, lines: [Int], arcs: [[Int]]) {
        let statementLines = Set(map.lines)
        self.lines = Array(Set(lines).intersection(statementLines)).sorted()
        var outcomes = Set<String>()
        for branch in map.branches {
            for arc in arcs where arc.count == 2 && arc[0] >= branch.line && arc[0] <= branch.end {
                let target = arc[1]
                if target == branch.body {
                    outcomes.insert("\(branch.line):taken")
                } else if target > 0 ? (target < branch.line || target > branch.end) : target == -branch.owner {
                    outcomes.insert("\(branch.line):not-taken")
                }
            }
        }
        branches = outcomes.sorted()
    }

    init(lines: [Int], branches: [String]) {
        self.lines = lines; self.branches = branches
    }

    var json: String { jsonText(self) }

    static func read(_ text: String?) -> CaseCoverage? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(CaseCoverage.self, from: Data(text.utf8))
    }
}
