// Deterministic damage for the file-reader fuzz tests. Each round starts from the valid file and applies one
// to three steps: a size field or a decimal number set to a boundary value, bit flips, byte overwrites with
// boundary values (0xFF.., 0x7F.., 0x80 00..), a truncation, or a stretch cut out or doubled. In half the
// rounds a format's `repair` then rewrites the field that holds its header's length, so damage inside the
// header reaches the checks past that field. A seeded SplitMix64 picks everything, so every run tries the
// same files and a failing round can be replayed.
import Kernels

struct Mutator {
    private var random: SplitMix64
    private let original: [UInt8]
    /// Offsets of 8-byte little-endian fields that read as a size (1 up to the file's length): every count,
    /// length, shape and offset field of a binary header, and a few bytes that only look like one.
    private let sizeFields: [Int]
    /// Decimal numbers (with their sign) in the file's text: ids, shapes, offsets.
    private let numbers: [Range<Int>]
    private let repair: (([UInt8]) -> [UInt8])?

    init(seed: UInt64, original: [UInt8], binaryRegion: Range<Int> = 0..<0, textRegion: Range<Int> = 0..<0,
         repair: (([UInt8]) -> [UInt8])? = nil) {
        random = SplitMix64(seed: seed)
        self.original = original
        self.repair = repair
        sizeFields = binaryRegion.filter { $0 + 8 <= original.count }.filter { at in
            let value = original[at..<at + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return value > 0 && value <= UInt64(original.count)
        }
        var numbers: [Range<Int>] = []
        var at = textRegion.lowerBound
        while at < textRegion.upperBound {
            let isStart = Self.isDigit(original[at]) || (original[at] == UInt8(ascii: "-") && at + 1 < textRegion.upperBound
                && Self.isDigit(original[at + 1]))
            guard isStart else { at += 1; continue }
            var end = at + 1
            while end < textRegion.upperBound, Self.isDigit(original[end]) { end += 1 }
            numbers.append(at..<end)
            at = end
        }
        self.numbers = numbers
    }

    /// Sizes that overflow, sit on a power-of-two edge, run just past the file, or are small and misaligned.
    private var hugeSizes: [UInt64] {
        [1 << 32, 1 << 40, 1 << 62, UInt64(Int64.max), .max, 1 << 63, 0xFFFF_FFFF, 0, 1, 4, 32, 64,
         UInt64(original.count), UInt64(original.count + 1), UInt64(original.count / 2 + 3)]
    }

    private static let hugeNumbers = ["999999999999", "4294967296", "1099511627776", "9223372036854775807",
                                      "18446744073709551616", "-1", "0", "1048576", "1e308", "1.5",
                                      "-9223372036854775808", "65535", "NaN", ""]

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(random.next() % UInt64(bound)) }

    /// The next damaged file.
    mutating func next() -> [UInt8] {
        var bytes = original
        // Half the rounds change one thing only, so damage that keeps the file well-formed reaches deeper checks.
        let steps = below(2) == 0 ? 1 : 2 + below(2)
        for step in 0..<steps {
            // Field and number positions hold only while the bytes still line up with the original.
            if step == 0, !numbers.isEmpty, below(2) == 0 {
                let range = numbers[below(numbers.count)]
                bytes.replaceSubrange(range, with: Array(Self.hugeNumbers[below(Self.hugeNumbers.count)].utf8))
                continue
            }
            if step == 0, !sizeFields.isEmpty, below(2) == 0 {
                let at = sizeFields[below(sizeFields.count)]
                let value = hugeSizes[below(hugeSizes.count)]
                withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(at..<at + 8, with: $0) }
                continue
            }
            guard !bytes.isEmpty else { break }
            switch below(5) {
            case 0:
                for _ in 0...below(4) { bytes[below(bytes.count)] ^= 1 << UInt8(below(8)) }
            case 1:
                bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            case 2:
                let width = [1, 2, 4, 8][below(4)]
                let at = below(bytes.count)
                // Little-endian all ones, the largest signed value, the smallest, zero and one, at this width.
                let ones = [UInt8](repeating: 0xFF, count: width), zeros = [UInt8](repeating: 0, count: width - 1)
                let fields = [ones, ones.dropLast() + [0x7F], zeros + [0x80], zeros + [0], [1] + zeros]
                let field = fields[below(fields.count)]
                bytes.replaceSubrange(at..<min(bytes.count, at + width), with: field.prefix(bytes.count - at))
            case 3:
                bytes = Array(bytes.prefix(below(bytes.count)))
            default:
                let start = below(bytes.count)
                let end = min(bytes.count, start + 1 + below(16))
                if below(2) == 0 { bytes.removeSubrange(start..<end) } else { bytes.insert(contentsOf: bytes[start..<end], at: start) }
            }
        }
        if let repair, below(2) == 0 { bytes = repair(bytes) }
        return bytes
    }
}
