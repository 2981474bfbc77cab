// Methods called in the sandbox: an instance method's object is built from the input's constructor arguments and
// its state after the call is an output; static and class methods are called on their class; extracted code
// imports its own package from the source roots.
import Foundation
import Sandbox
import Testing

@Suite("Method calls")
struct MethodCallTests {
    static let code = """
        class Tally:
            def __init__(self, start=0):
                self.total = start
                self.history = []

            def add(self, amount):
                self.total += amount
                self.history.append(amount)
                return self.total

            @staticmethod
            def double(x):
                return 2 * x

            @classmethod
            def make(cls, start):
                return cls(start)


        class Slotted:
            __slots__ = ("a", "b")

            def __init__(self, a):
                self.a = a

            def set_b(self, b):
                self.b = b
        """

    @Test func anInstanceMethodsObjectIsBuiltAndItsStateIsAnOutput() throws {
        let executor = try SandboxTestSupport.executor()
        let calls = try executor.run(SandboxTestSupport.sample(Self.code, [
            "{'args': (2,), 'kwargs': {}, 'init': {'args': (3,), 'kwargs': {}}}",
            "{'args': (2,), 'kwargs': {}}",
            "{'args': (2,), 'kwargs': {}, 'init': {'args': (1, 2, 3), 'kwargs': {}}}",
            "{'args': (2,), 'kwargs': {}, 'init': 5}",
        ], entry: "Tally.add")).calls
        #expect(calls[0].description == "5")
        let state = try #require(calls[0].argumentsAfter)
        #expect(try CanonicalValue(canonicalText: state).description == "((Tally(history=[2], total=5), 2), {})")
        // Without an object the call does not bind; an object that cannot be built is the input's fault, not the code's.
        #expect(calls[1].status == .badCall)
        #expect(calls[2].status == .badCall && calls[2].error?.message.hasPrefix("the object could not be built") == true, "\(calls[2])")
        #expect(calls[3].status == .raised && calls[3].error?.type == "InvalidInput")
    }

    @Test func callsInSequenceAreMadeOnOneObject() throws {
        let executor = try SandboxTestSupport.executor()
        let object = "'init': {'args': (3,), 'kwargs': {}}"
        let calls = try executor.run(SandboxTestSupport.sample(Self.code, [
            "{'args': (5,), 'kwargs': {}, \(object), 'before': [{'args': (2,), 'kwargs': {}}, {'args': (1,), 'kwargs': {}}]}",
            "{'args': (5,), 'kwargs': {}, \(object), 'before': [{'args': ('x',), 'kwargs': {}}]}",
            "{'args': (5,), 'kwargs': {}, \(object), 'before': [{'args': (1, 2), 'kwargs': {}}]}",
            "{'args': (5,), 'kwargs': {}, 'before': [{'args': (2,), 'kwargs': {}}]}",
            "{'args': (5,), 'kwargs': {}, \(object), 'before': {'args': (2,)}}",
        ], entry: "Tally.add")).calls
        // The last call's return, and the object after every call of the sequence.
        #expect(calls[0].description == "11")
        let state = try #require(calls[0].argumentsAfter)
        #expect(try CanonicalValue(canonicalText: state).description == "((Tally(history=[2, 1, 5], total=11), 5), {})")
        // An earlier call that raises ends the test with its exception; one that does not bind is not behaviour.
        #expect(calls[1].status == .raised && calls[1].error?.type == "TypeError", "\(calls[1])")
        #expect(calls[2].status == .badCall && calls[2].error?.message.hasPrefix("call 1 of the sequence") == true, "\(calls[2])")
        // A sequence needs an object, and a list of calls.
        #expect(calls[3].status == .raised && calls[3].error?.type == "InvalidInput" && calls[3].error?.message.contains("needs an object") == true)
        #expect(calls[4].status == .raised && calls[4].error?.type == "InvalidInput")
    }

    /// A whole class as the sample: one object, calls of several methods in order; every return is the result, the
    /// object after them its state.
    @Test func aWholeClassIsCalledMethodByMethodOnOneObject() throws {
        let executor = try SandboxTestSupport.executor()
        let object = "'init': {'args': (3,), 'kwargs': {}}"
        let calls = try executor.run(SandboxTestSupport.sample(Self.code, [
            "{\(object), 'calls': [{'method': 'add', 'args': (2,), 'kwargs': {}}, {'method': 'double', 'args': (4,), 'kwargs': {}}, {'method': 'add', 'args': (1,), 'kwargs': {}}]}",
            "{\(object), 'calls': [{'method': 'add', 'args': (2,), 'kwargs': {}}, {'method': 'add', 'args': ('x',), 'kwargs': {}}]}",
            "{\(object), 'calls': [{'method': 'nothing', 'args': (), 'kwargs': {}}]}",
            "{\(object), 'calls': [{'method': 'add', 'args': (1, 2), 'kwargs': {}}]}",
            "{'init': {'args': (1, 2, 3), 'kwargs': {}}, 'calls': [{'method': 'add', 'args': (1,), 'kwargs': {}}]}",
            "{\(object), 'calls': [{'method': '__class__', 'args': (), 'kwargs': {}}]}",
            "{\(object), 'calls': []}",
            "(3,)",
        ], entry: "class Tally")).calls
        #expect(calls[0].description == "[5, 8, 6]", "\(calls[0])")
        let state = try #require(calls[0].argumentsAfter)
        #expect(try CanonicalValue(canonicalText: state).description == "((Tally(history=[2, 1], total=6),), {})")
        // A call that raises ends the test with its exception, and the state it left is still an output.
        #expect(calls[1].status == .raised && calls[1].error?.type == "TypeError", "\(calls[1])")
        #expect(try CanonicalValue(canonicalText: try #require(calls[1].argumentsAfter)).description == "((Tally(history=[2], total=5),), {})")
        // A method the class lacks, a call that does not bind and an object that cannot be built are the input's fault.
        #expect(calls[2].status == .badCall && calls[2].error?.message.contains("no method 'nothing'") == true, "\(calls[2])")
        #expect(calls[3].status == .badCall && calls[3].error?.message.hasPrefix("call 1 (add)") == true, "\(calls[3])")
        #expect(calls[4].status == .badCall && calls[4].error?.message.hasPrefix("the object could not be built") == true)
        // Special names and empty call lists are not tests; a class is not called like a function.
        #expect(calls[5].status == .raised && calls[5].error?.type == "InvalidInput")
        #expect(calls[6].status == .raised && calls[6].error?.type == "InvalidInput")
        #expect(calls[7].status == .badCall && calls[7].error?.message.contains("not a call of the class") == true, "\(calls[7])")
        // The entry point must be a class.
        let function = try executor.run(SandboxTestSupport.sample("def Tally(x):\n    return x\n", ["{'calls': [{'method': 'add', 'args': (), 'kwargs': {}}]}"],
                                                                  entry: "class Tally")).calls[0]
        #expect(function.status == .raised && function.error?.type == "TypeError" && function.error?.message.contains("not a class") == true, "\(function)")
    }

    @Test func staticAndClassMethodsAreCalledOnTheirClass() throws {
        let executor = try SandboxTestSupport.executor()
        let results = try executor.run([
            SandboxTestSupport.sample(Self.code, ["(4,)"], entry: "Tally.double"),
            SandboxTestSupport.sample(Self.code, ["(7,)"], entry: "Tally.make"),
            SandboxTestSupport.sample(Self.code, ["{'args': (9,), 'kwargs': {}, 'init': {'args': (1,), 'kwargs': {}}}"], entry: "Slotted.set_b"),
            SandboxTestSupport.sample(Self.code, ["(1,)"], entry: "Nothing.add"),
        ])
        #expect(results[0].calls[0].description == "8")
        // An object of a class without a repr of its own is what its attributes hold, __slots__ included.
        #expect(results[1].calls[0].description == "Tally(history=[], total=7)")
        let after = try #require(results[2].calls[0].argumentsAfter)
        #expect(try CanonicalValue(canonicalText: after).description == "((Slotted(a=1, b=9), 9), {})")
        #expect(results[3].calls[0].status == .raised && results[3].calls[0].error?.type == "NameError")
    }

    @Test func extractedCodeImportsItsOwnPackage() throws {
        let root = try SandboxTestSupport.hostDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let package = root.appendingPathComponent("geo")
        try FileManager.default.createDirectory(at: package, withIntermediateDirectories: true)
        try Data().write(to: package.appendingPathComponent("__init__.py"))
        try Data("def clamp(v, lo, hi):\n    return max(lo, min(hi, v))\n".utf8).write(to: package.appendingPathComponent("util.py"))
        let code = "from geo.util import clamp\n\ndef f(x):\n    return clamp(x, 0, 10)\n"
        let mounted = try SandboxTestSupport.executor { $0.sourceRoots = [root.path] }
        #expect(try mounted.run(SandboxTestSupport.sample(code, ["(42,)"])).calls[0].description == "10")
        let unmounted = try SandboxTestSupport.executor()
        #expect(try unmounted.run(SandboxTestSupport.sample(code, ["(42,)"])).calls[0].error?.type == "ModuleNotFoundError")
    }
}
