// GPT-2's reversible map from bytes to printable characters: BPE vocabularies spell bytes this way
// (a space is "Ġ", a newline "Ċ").

public enum ByteLevel {
    /// The character that stands for each byte value.
    public static let byteToCharacter: [Character] = {
        var printable = Set<Int>()
        for range in [33...126, 161...172, 174...255] { for b in range { printable.insert(b) } }
        var next = 256
        return (0..<256).map { b in
            if printable.contains(b) { return Character(Unicode.Scalar(UInt32(b))!) }
            defer { next += 1 }
            return Character(Unicode.Scalar(UInt32(next))!)
        }
    }()

    /// The byte each stand-in scalar spells; nil for scalars outside the map.
    public static let scalarToByte: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, character) in byteToCharacter.enumerated() {
            map[character.unicodeScalars.first!.value] = UInt8(byte)
        }
        return map
    }()

    /// The bytes a vocabulary entry spells, or nil when it holds a scalar outside the map.
    public static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = scalarToByte[scalar.value] else { return nil }
            out.append(byte)
        }
        return out
    }
}
