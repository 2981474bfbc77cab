// Values serialized inside the sandbox: equal values must give equal canonical text, different ones must not.
import Foundation
import Sandbox
import Testing

@Suite("Canonical form through the sandbox")
struct CanonicalFormTests {
    /// Each expression pair is evaluated by `f(i)` in one sample; returns the results in order.
    func values(_ expressions: [String]) throws -> [CallResult] {
        let body = expressions.enumerated().map { "    if i == \($0.offset):\n        return \($0.element)\n" }.joined()
        let code = "import collections, math\nclass Point:\n    def __init__(self):\n        self.x = 1\nPair = collections.namedtuple('Pair', 'a b')\ndef f(i):\n" + body
        let executor = try SandboxTestSupport.executor(timeout: 10)
        return try executor.run(SandboxTestSupport.sample(code, expressions.indices.map { "(\($0),)" })).calls
    }

    @Test func equalValuesHaveEqualText() throws {
        let pairs: [(String, String)] = [
            ("{'b': 1, 'a': 2}", "{'a': 2, 'b': 1}"),
            ("{3, 1, 2, 'x'}", "{'x', 2, 3, 1}"),
            ("-0.0", "0.0"),
            ("float('nan')", "math.nan"),
            ("frozenset({(1, 2), (0, 1)})", "frozenset({(0, 1), (1, 2)})"),
            ("collections.OrderedDict([('z', 1), ('a', 2)])", "{'a': 2, 'z': 1}"),
            ("Pair(1, 2)", "(1, 2)"),
            ("True", "True"),
            ("10 ** 5000", "int('1' + '0' * 5000)"),
            ("2 ** 100000", "1 << 100000"),
            ("Point()", "Point()"),
        ]
        let calls = try values(pairs.flatMap { [$0.0, $0.1] })
        for (index, pair) in pairs.enumerated() {
            let left = calls[2 * index], right = calls[2 * index + 1]
            #expect(left.status == .ok && right.status == .ok, "\(pair): \(left.error?.message ?? "") \(right.error?.message ?? "")")
            #expect(left.valueText == right.valueText, "\(pair.0) vs \(pair.1): \(left.valueText ?? "-") vs \(right.valueText ?? "-")")
            #expect(left.value == right.value, "\(pair)")
        }
    }

    @Test func differentValuesStayDifferent() throws {
        let pairs: [(String, String)] = [
            ("(1, 2)", "[1, 2]"),
            ("b'ab'", "'ab'"),
            ("1", "1.0"),
            ("True", "1"),
            ("{1: 2}", "{1: 3}"),
            ("[1, [2]]", "[1, (2,)]"),
            ("0.1 + 0.2", "0.3"),
            // Objects without a repr of their own differ by their attributes.
            ("Point()", "(lambda p: (setattr(p, 'x', 2), p)[1])(Point())"),
        ]
        let calls = try values(pairs.flatMap { [$0.0, $0.1] })
        for (index, pair) in pairs.enumerated() {
            let left = calls[2 * index], right = calls[2 * index + 1]
            #expect(left.status == .ok && right.status == .ok)
            #expect(left.valueText != right.valueText, "\(pair.0) vs \(pair.1)")
        }
        // Python says 1 == 1.0; the comparison agrees, and 0.1 + 0.2 matches 0.3 within a tolerance.
        #expect(calls[4].value == calls[5].value)
        #expect(calls[12].value != calls[13].value)
        #expect(calls[12].value?.equals(calls[13].value!, tolerance: 1e-12) == true)
    }

    @Test func valuesThatAreNotJSON() throws {
        let calls = try values([
            "b'\\x00\\xff'",
            "{frozenset({1}), 2.5}",
            "(lambda a: (a.append(a), a)[1])([1])",
            "(lambda d: (d.__setitem__('self', d), d)[1])({})",
            "2 ** 64",
            "-(2 ** 20000)",
            "3 + 4j",
            "'\\ud800'",
            "Point()",
            "range(3)",
        ])
        #expect(calls.allSatisfy { $0.status == .ok }, "\(calls.map { $0.error?.message ?? "" })")
        #expect(calls[0].value == .bytes([0, 255]))
        #expect(calls[2].value?.description == "[1, [...]]")
        #expect(calls[3].value?.description == "{'self': {...}}")
        #expect(calls[4].value == .int("18446744073709551616"))
        #expect(calls[5].valueText?.hasPrefix(#"{"int":"-0x1"#) == true)
        #expect(calls[6].value == .complex(real: 3, imaginary: 4))
        #expect(calls[7].value == .unpairedString("\\ud800"))
        // An object without a repr of its own is its attributes, not its address-free default repr.
        #expect(calls[8].value == .instance(type: "__solution__.Point", state: .dict([.init(key: .string("x"), value: .int("1"))])))
        #expect(calls[8].value?.description == "Point(x=1)")
        #expect(calls[9].value == .object(type: "range", repr: "range(0, 3)"))
    }

    /// HumanEval's canonical solutions on inputs from their own tests: every call succeeds, and where the
    /// test compares with `==` against a literal, the literal (serialized in the sandbox too) equals the result.
    @Test func humanEvalSolutionsMatchTheirTests() throws {
        struct Record: Decodable { var entry_point: String; var code: String; var inputs: [String]; var expected: [String?] }
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/humaneval/exec_bench.jsonl")
        let records = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
        #expect(records.count == 40)
        let solutions = records.map { SampleRequest(code: $0.code, entryPoint: $0.entry_point, inputs: $0.inputs.map { CallInput(literal: $0) }) }
        let expectations = records.map { record in
            SampleRequest(code: "def identity(value):\n    return value\n", entryPoint: "identity",
                          inputs: record.expected.map { CallInput(literal: "(\($0 ?? "None"),)") })
        }
        let executor = try SandboxTestSupport.executor(timeout: 10, workers: 2)
        let results = try executor.run(solutions + expectations)
        var compared = 0
        for (index, record) in records.enumerated() {
            for (call, (actual, expected)) in zip(record.expected, zip(results[index].calls, results[records.count + index].calls)) {
                #expect(actual.status == .ok, "\(record.entry_point): \(actual.error?.message ?? "")")
                guard call != nil, let value = actual.value, let wanted = expected.value else { continue }
                #expect(value.equals(wanted, tolerance: 1e-9), "\(record.entry_point): \(value) != \(wanted)")
                compared += 1
            }
        }
        #expect(compared > 300)
    }
}
