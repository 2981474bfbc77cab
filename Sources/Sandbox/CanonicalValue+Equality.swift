// Comparing results: Python's == on canonical values, with an optional relative float tolerance.
import Foundation

extension CanonicalValue: Equatable {
    /// Exact comparison (no float tolerance), with NaN equal to NaN as in canonical text.
    public static func == (lhs: CanonicalValue, rhs: CanonicalValue) -> Bool {
        lhs.equals(rhs, tolerance: 0)
    }

    /// True when the values are equal, floats within `tolerance` relative to the larger magnitude
    /// (`|a-b| <= max(tolerance * max(|a|,|b|), absoluteTolerance)`, as `math.isclose`).
    /// As in Python: int and float compare by value, set equals frozenset, tuple never equals list.
    /// Stricter than Python: bool only equals bool (True == 1 in Python, but a changed type is a changed behaviour),
    /// and NaN equals NaN (the same computation gave the same answer). Set elements and dict keys are
    /// matched in canonical order, so a float tolerance applies to them only when the order agrees.
    public func equals(_ other: CanonicalValue, tolerance: Double, absoluteTolerance: Double = 0) -> Bool {
        func close(_ a: Double, _ b: Double) -> Bool {
            if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
            if a == b { return true }
            if a.isInfinite || b.isInfinite { return false }
            return abs(a - b) <= max(tolerance * max(abs(a), abs(b)), absoluteTolerance)
        }
        func all(_ a: [CanonicalValue], _ b: [CanonicalValue]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.equals($1, tolerance: tolerance, absoluteTolerance: absoluteTolerance) }
        }
        switch (self, other) {
        case (.none, .none): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.int(a), .float(b)): return Self.intAsDouble(a).map { close($0, b) } ?? false
        case let (.float(a), .int(b)): return Self.intAsDouble(b).map { close(a, $0) } ?? false
        case let (.float(a), .float(b)): return close(a, b)
        case let (.complex(ar, ai), .complex(br, bi)): return close(ar, br) && close(ai, bi)
        case let (.string(a), .string(b)): return a == b
        case let (.unpairedString(a), .unpairedString(b)): return a == b
        case let (.bytes(a), .bytes(b)), let (.bytearray(a), .bytearray(b)),
             let (.bytes(a), .bytearray(b)), let (.bytearray(a), .bytes(b)):
            return a == b
        case let (.list(a), .list(b)), let (.tuple(a), .tuple(b)): return all(a, b)
        case let (.set(a), .set(b)), let (.frozenset(a), .frozenset(b)),
             let (.set(a), .frozenset(b)), let (.frozenset(a), .set(b)):
            return all(a, b)
        case let (.dict(a), .dict(b)):
            return a.count == b.count && zip(a, b).allSatisfy {
                $0.key.equals($1.key, tolerance: tolerance, absoluteTolerance: absoluteTolerance)
                    && $0.value.equals($1.value, tolerance: tolerance, absoluteTolerance: absoluteTolerance)
            }
        case let (.cycle(a), .cycle(b)): return a == b
        case let (.object(at, ar), .object(bt, br)): return at == bt && ar == br
        case let (.instance(at, astate), .instance(bt, bstate)):
            return at == bt && astate.equals(bstate, tolerance: tolerance, absoluteTolerance: absoluteTolerance)
        default: return false
        }
    }

    /// Decimal or hex int text as a Double (huge magnitudes become infinity, which equals no finite float).
    static func intAsDouble(_ text: String) -> Double? {
        var body = Substring(text)
        let negative = body.hasPrefix("-")
        if negative { body = body.dropFirst() }
        var value: Double
        if body.hasPrefix("0x") {
            value = 0
            for digit in body.dropFirst(2) {
                guard let nibble = digit.hexDigitValue else { return nil }
                value = value * 16 + Double(nibble)
            }
        } else {
            guard let parsed = Double(body) else { return nil }
            value = parsed
        }
        return negative ? -value : value
    }
}
