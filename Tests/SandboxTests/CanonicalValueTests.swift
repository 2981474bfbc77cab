// Canonical values in Swift: decoding, re-encoding to the same text, equality with tolerance, display.
import Foundation
import Sandbox
import Testing

@Suite("Canonical values")
struct CanonicalValueTests {
    @Test func decodesEveryTag() throws {
        let text = #"[null,true,7,{"int":"123456789012345678901"},{"float":"1.5"},{"complex":["1.0","-2.0"]},"s",{"unpaired":"\\ud800"},{"bytes":"00ff"},{"bytearray":"61"},{"tuple":[1]},{"set":[1,2]},{"frozenset":[]},{"dict":[["a",1]]},{"cycle":"list"},{"object":"m.T","repr":"<m.T object>"}]"#
        let value = try CanonicalValue(canonicalText: text)
        guard case let .list(items) = value else { Issue.record("not a list: \(value)"); return }
        #expect(items.count == 16)
        #expect(items[0] == .none && items[1] == .bool(true) && items[2] == .int("7"))
        #expect(items[3] == .int("123456789012345678901"))
        #expect(items[4] == .float(1.5))
        #expect(items[5] == .complex(real: 1, imaginary: -2))
        #expect(items[8] == .bytes([0, 255]))
        #expect(items[10] == .tuple([.int("1")]))
        #expect(items[13] == .dict([.init(key: .string("a"), value: .int("1"))]))
        #expect(items[15] == .object(type: "m.T", repr: "<m.T object>"))
        #expect(value.canonicalText == text)
    }

    @Test func rejectsUnknownTags() {
        #expect(throws: (any Error).self) { try CanonicalValue(canonicalText: #"{"mystery":1}"#) }
        #expect(throws: (any Error).self) { try CanonicalValue(canonicalText: #"{"float":"not a number"}"#) }
        #expect(throws: (any Error).self) { try CanonicalValue(canonicalText: #"{"bytes":"0"}"#) }
    }

    /// Expected texts are CPython 3.11's repr of the same floats.
    @Test func floatsReencodeAsPythonWritesThem() throws {
        let pythonReprs = ["1.5", "0.1", "1e-05", "0.0001", "1e+16", "1234567890123456.0", "9007199254740992.0", "1e+22",
                           "5e-324", "1.7976931348623157e+308", "123.456", "100.0", "1e-07", "2.5e-10", "3.14159e+100",
                           "0.3333333333333333", "1.2345678901234568e+16", "0.000123", "-2.5", "nan", "inf", "-inf", "0.0"]
        for repr in pythonReprs {
            let text = #"{"float":"\#(repr)"}"#
            #expect(try CanonicalValue(canonicalText: text).canonicalText == text, "\(repr)")
        }
    }

    @Test func equalityFollowsPythonWhereItShould() {
        #expect(CanonicalValue.float(.nan) == .float(.nan))
        #expect(CanonicalValue.int("1") == .float(1.0))
        #expect(CanonicalValue.set([.int("1")]) == .frozenset([.int("1")]))
        #expect(CanonicalValue.bytes([1]) == .bytearray([1]))
        #expect(CanonicalValue.list([.int("1")]) != .tuple([.int("1")]))
        #expect(CanonicalValue.bool(true) != .int("1"))
        #expect(CanonicalValue.string("1") != .int("1"))
        #expect(CanonicalValue.int("0x10") == .float(16))
    }

    @Test func relativeToleranceAppliesToFloatsOnly() {
        let a = CanonicalValue.list([.float(1.0), .tuple([.float(1e10)]), .string("x")])
        let b = CanonicalValue.list([.float(1.0 + 1e-9), .tuple([.float(1e10 + 1)]), .string("x")])
        #expect(a != b)
        #expect(a.equals(b, tolerance: 1e-6))
        #expect(!a.equals(b, tolerance: 1e-12))
        #expect(!CanonicalValue.float(0).equals(.float(1e-12), tolerance: 1e-6))
        #expect(CanonicalValue.float(0).equals(.float(1e-12), tolerance: 1e-6, absoluteTolerance: 1e-9))
        #expect(!CanonicalValue.float(.infinity).equals(.float(1e308), tolerance: 0.5))
        #expect(!CanonicalValue.string("a").equals(.string("b"), tolerance: 1))
    }

    @Test func displaysAsPythonLiterals() throws {
        let value = try CanonicalValue(canonicalText:
            #"[null,true,{"float":"-0.5"},"it's",{"bytes":"27000a"},{"tuple":[1]},{"set":[]},{"dict":[[{"tuple":[1,2]},{"float":"nan"}]]},{"cycle":"list"}]"#)
        #expect(value.description == #"[None, True, -0.5, "it's", b"'\x00\n", (1,), set(), {(1, 2): float('nan')}, [...]]"#)
    }

    @Test func callInputWithKeywords() {
        #expect(CallInput(arguments: "(1,)", keywords: "{'b': 2}").literal == "{'args': (1,), 'kwargs': {'b': 2}}")
    }
}
