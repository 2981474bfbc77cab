// Ranges of Unicode scalars as sequences of UTF-8 byte ranges, so a character class matches byte by byte.

enum UTF8Ranges {
    static let maxScalar: UInt32 = 0x10FFFF
    static let surrogates: ClosedRange<UInt32> = 0xD800...0xDFFF

    /// Sorted, merged ranges with surrogates removed.
    static func normalized(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, range.lowerBound <= last.upperBound &+ 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                out.append(range)
            }
        }
        return out.flatMap { range -> [ClosedRange<UInt32>] in
            guard range.overlaps(surrogates) else { return [range] }
            var parts: [ClosedRange<UInt32>] = []
            if range.lowerBound < surrogates.lowerBound { parts.append(range.lowerBound...(surrogates.lowerBound - 1)) }
            if range.upperBound > surrogates.upperBound { parts.append((surrogates.upperBound + 1)...range.upperBound) }
            return parts
        }
    }

    static func complement(_ ranges: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for range in normalized(ranges) {
            if range.lowerBound > next { out.append(next...(range.lowerBound - 1)) }
            next = range.upperBound + 1
        }
        if next <= maxScalar { out.append(next...maxScalar) }
        return normalized(out)
    }

    /// Byte-range sequences whose union is exactly the UTF-8 encodings of the scalars in `ranges`.
    static func sequences(_ ranges: [ClosedRange<UInt32>]) -> [[ClosedRange<UInt8>]] {
        var out: [[ClosedRange<UInt8>]] = []
        for range in normalized(ranges) { split(range, into: &out) }
        return out
    }

    private static let lengthLimits: [UInt32] = [0x7F, 0x7FF, 0xFFFF, 0x10FFFF]

    private static func split(_ range: ClosedRange<UInt32>, into out: inout [[ClosedRange<UInt8>]]) {
        let lo = range.lowerBound, hi = range.upperBound
        // Encodings of different lengths are split first.
        for limit in lengthLimits.dropLast() where lo <= limit && hi > limit {
            split(lo...limit, into: &out)
            split((limit + 1)...hi, into: &out)
            return
        }
        let length = encode(lo).count
        // Then split until lo and hi differ only where every continuation byte is free.
        for i in 1..<max(length, 1) {
            let mask: UInt32 = (1 << (6 * UInt32(i))) - 1
            if lo & ~mask != hi & ~mask {
                if lo & mask != 0 {
                    split(lo...(lo | mask), into: &out)
                    split(((lo | mask) + 1)...hi, into: &out)
                    return
                }
                if hi & mask != mask {
                    split(lo...((hi & ~mask) - 1), into: &out)
                    split((hi & ~mask)...hi, into: &out)
                    return
                }
            }
        }
        let a = encode(lo), b = encode(hi)
        out.append(zip(a, b).map { $0...$1 })
    }

    static func encode(_ scalar: UInt32) -> [UInt8] {
        switch scalar {
        case 0..<0x80: return [UInt8(scalar)]
        case 0x80..<0x800: return [UInt8(0xC0 | scalar >> 6), UInt8(0x80 | scalar & 0x3F)]
        case 0x800..<0x10000:
            return [UInt8(0xE0 | scalar >> 12), UInt8(0x80 | (scalar >> 6) & 0x3F), UInt8(0x80 | scalar & 0x3F)]
        default:
            return [UInt8(0xF0 | scalar >> 18), UInt8(0x80 | (scalar >> 12) & 0x3F), UInt8(0x80 | (scalar >> 6) & 0x3F),
                    UInt8(0x80 | scalar & 0x3F)]
        }
    }
}
