// Text taken from a file and quoted in an error: a damaged file can hold a megabyte of binary where a key
// name should be, so what an error shows of it is cut short and its control and non-UTF-8 bytes escaped.
import Foundation

public enum FileText {
    /// The characters an error shows of one piece of file text before cutting it.
    public static let shownCharacters = 60

    /// `text` fit to quote: controls as `\n`, `\t` or `\u{1B}`, and past `limit` characters the rest
    /// replaced by its size ("abc... (1200000 bytes in all)").
    public static func quoted(_ text: String, limit: Int = shownCharacters) -> String {
        var shown = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else { return shown + "... (\(text.utf8.count) bytes in all)" }
            shown += escaped(scalar)
            count += 1
        }
        return shown
    }

    /// Raw bytes fit to quote: as `quoted(_:)`, with bytes that are not UTF-8 shown as `\xFF`.
    public static func quoted(bytes: some Collection<UInt8>, limit: Int = shownCharacters) -> String {
        var shown = ""
        var count = 0
        var iterator = bytes.makeIterator()
        // The bytes after a bad lead byte are read again on their own, so each bad byte is shown as itself.
        var pending: [UInt8] = []
        func next() -> UInt8? { pending.isEmpty ? iterator.next() : pending.removeFirst() }
        while count < limit, let first = next() {
            var sequence = [first]
            let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2
            while sequence.count < length, let byte = next() { sequence.append(byte) }
            if let text = String(validating: sequence, as: UTF8.self), let scalar = text.unicodeScalars.first {
                shown += escaped(scalar)
            } else {
                shown += String(format: "\\x%02X", first)
                pending = Array(sequence.dropFirst()) + pending
            }
            count += 1
        }
        guard pending.isEmpty, iterator.next() == nil else { return shown + "... (\(bytes.count) bytes in all)" }
        return shown
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        case "\u{FFFD}": "\\u{FFFD}"
        default:
            scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                ? "\\u{\(String(scalar.value, radix: 16, uppercase: true))}" : String(scalar)
        }
    }
}

