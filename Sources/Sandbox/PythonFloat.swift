// Python's repr of a float, so Swift writes canonical text exactly as the supervisor does.
import Foundation

enum PythonFloat {
    /// Shortest round-trip digits (Swift and CPython both print those) laid out as CPython does:
    /// fixed notation while -4 < decimal point position <= 16, else `d.ddde+XX` with at least two exponent digits.
    static func repr(_ number: Double) -> String {
        if number.isNaN { return "nan" }
        if number.isInfinite { return number < 0 ? "-inf" : "inf" }
        if number == 0 { return number.sign == .minus ? "-0.0" : "0.0" }
        let text = "\(number.magnitude)"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerDigits = String(mantissa[0])
        let fractionDigits = mantissa.count > 1 ? String(mantissa[1]) : ""
        var digits = Array(integerDigits + fractionDigits)
        var point = integerDigits.count + exponent
        while digits.count > 1 && digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.count > 1 && digits.last == "0" { digits.removeLast() }
        let sign = number < 0 ? "-" : ""
        if point > -4 && point <= 16 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
            if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) + ".0" }
            return sign + String(digits[..<point]) + "." + String(digits[point...])
        }
        let power = point - 1
        let rest = digits.count > 1 ? "." + String(digits[1...]) : ""
        let powerText = String(abs(power))
        return sign + String(digits[0]) + rest + "e" + (power < 0 ? "-" : "+") + (powerText.count < 2 ? "0" : "") + powerText
    }
}
