// What a call reports beyond its value: the arguments after it, whether it could bind at all, and the lines and
// arcs it ran.
import Foundation
import Sandbox
import Testing

@Suite("Call reports")
struct CallReportTests {
    func run(_ code: String, _ inputs: [String], entry: String = "f", trace: Bool = false) throws -> [CallResult] {
        var sample = SandboxTestSupport.sample(code, inputs, entry: entry)
        sample.trace = trace
        return try SandboxTestSupport.executor().run(sample).calls
    }

    func argumentsAfter(_ call: CallResult) -> String? {
        call.argumentsAfter.flatMap { try? CanonicalValue(canonicalText: $0) }?.description
    }

    // MARK: - Arguments after the call

    @Test func inPlaceChangesShowInTheArgumentsAfter() throws {
        let calls = try run("def bump(xs):\n    xs.append(1)\n", ["([0],)"], entry: "bump")
        #expect(calls[0].status == .ok && calls[0].value == CanonicalValue.none)
        #expect(calls[0].argumentsAfter == #"{"tuple":[{"tuple":[[0,1]]},{"dict":[]}]}"#)
        #expect(argumentsAfter(calls[0]) == "(([0, 1],), {})")
    }

    @Test func untouchedArgumentsComeBackUnchanged() throws {
        let calls = try run("def f(xs, key=None):\n    return len(xs) + len(key)\n", ["{'args': ([3, 1, 2],), 'kwargs': {'key': {'a': [1]}}}"])
        #expect(calls[0].value == .int("4"))
        #expect(argumentsAfter(calls[0]) == "(([3, 1, 2],), {'key': {'a': [1]}})")
    }

    @Test func argumentsAfterARaiseAreKeptAndUnserializableOnesAreNil() throws {
        let code = """
        class Opaque:
            def __repr__(self):
                raise ValueError('no repr')
        def pop_then_fail(xs):
            xs.pop()
            raise KeyError('late')
        def stash(xs):
            xs.append(Opaque())
            return len(xs)
        """
        let failed = try run(code, ["([1, 2],)"], entry: "pop_then_fail")[0]
        #expect(failed.status == .raised && failed.error?.type == "KeyError")
        #expect(argumentsAfter(failed) == "(([1],), {})")
        let stashed = try run(code, ["([],)"], entry: "stash")[0]
        #expect(stashed.status == .ok && stashed.value == .int("1") && stashed.argumentsAfter == nil)
    }

    // MARK: - Calls that cannot bind

    @Test func callsThatCannotBindAreBadCalls() throws {
        let code = "def f(x, y=1):\n    return x + y\n"
        let calls = try run(code, ["()", "(1, 2, 3)", "{'args': (1,), 'kwargs': {'z': 2}}", "(1,)"])
        #expect(calls.map(\.status) == [.badCall, .badCall, .badCall, .ok])
        #expect(calls[0].error?.type == "TypeError" && calls[0].error?.message.contains("missing 1 required positional argument") == true)
        #expect(calls[2].error?.message.contains("unexpected keyword argument 'z'") == true)
        #expect(calls[0].argumentsAfter == nil)
    }

    @Test func typeErrorsFromInsideTheFunctionStayRaised() throws {
        let code = """
        import functools
        def helper(a):
            return a
        def f(x):
            if x == 'deliberate':
                raise TypeError('mine')
            if x == 'nested':
                return helper(1, 2)
            return x + 1
        @functools.lru_cache(maxsize=None)
        def cached(x):
            if x < 0:
                raise TypeError('negative')
            return x
        """
        let calls = try run(code, ["('deliberate',)", "('nested',)", "('text',)"])
        #expect(calls.map(\.status) == [.raised, .raised, .raised])
        #expect(calls.allSatisfy { $0.error?.type == "TypeError" })
        // A C wrapper has no Python frame: its binding errors are bad calls, errors of the wrapped function are not.
        let cached = try run(code, ["(1, 2)", "([],)", "(-1,)", "(5,)"], entry: "cached")
        #expect(cached.map(\.status) == [.badCall, .badCall, .raised, .ok])
    }

    // MARK: - Tracing

    static let branch = "def f(x):\n    if x > 0:\n        return 1\n    return 2\n"

    @Test func tracingRecordsLinesAndArcs() throws {
        let calls = try run(Self.branch, ["(5,)", "(-5,)"], trace: true)
        #expect(calls.map(\.value) == [.int("1"), .int("2")])
        #expect(calls[0].coverage == Coverage(lines: [2, 3], arcs: [[-1, 2], [2, 3], [3, -1]]))
        #expect(calls[1].coverage == Coverage(lines: [2, 4], arcs: [[-1, 2], [2, 4], [4, -1]]))
    }

    @Test func tracingChangesNothingElse() throws {
        let code = """
        import sys
        def gen(n):
            for i in range(n):
                yield i * i
        def f(n):
            print('n', n)
            if n < 0:
                raise ValueError(n)
            return sum(gen(n)), [x for x in range(n) if x % 2]
        """
        let inputs = ["(4,)", "(-1,)", "(0,)"]
        let plain = try run(code, inputs), traced = try run(code, inputs, trace: true)
        for (left, right) in zip(plain, traced) {
            #expect(left.status == right.status && left.valueText == right.valueText && left.error == right.error)
            #expect(left.stdout == right.stdout && left.argumentsAfter == right.argumentsAfter)
            #expect(left.coverage == nil && right.coverage != nil)
        }
        // The generator's yields are not exits: its frame is left once, from the loop head (line 3) to -2.
        let arcs = traced[0].coverage?.arcs ?? []
        #expect(arcs.contains([-2, 3]) && arcs.contains([3, 4]) && arcs.contains([4, 3]) && arcs.contains([3, -2]))
        #expect(!arcs.contains([4, -2]))
        #expect(traced[1].coverage?.lines == [6, 7, 8])
    }
}
