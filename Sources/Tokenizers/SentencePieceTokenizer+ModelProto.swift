// A SentencePiece `.model` file: a protobuf `ModelProto`, read by hand for the fields BPE needs.
//
//   ModelProto      1 pieces (repeated SentencePiece) | 2 trainer_spec | 3 normalizer_spec
//   SentencePiece   1 piece (string) | 2 score (float) | 3 type (enum, NORMAL when absent)
//   TrainerSpec     3 model_type (UNIGRAM 1, BPE 2, WORD 3, CHAR 4; UNIGRAM when absent)
//                   24 treat_whitespace_as_suffix | 35 byte_fallback | 40 unk_id | 41 bos_id (1) | 42 eos_id (2)
//   NormalizerSpec  1 name | 2 precompiled_charsmap | 3 add_dummy_prefix (true) | 4 remove_extra_whitespaces (true)
//                   5 escape_whitespaces (true)
import Foundation

extension SentencePieceTokenizer {
    public convenience init(modelFile url: URL) throws(TokenizerError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .unreadable(file: url.path, reason: error.localizedDescription) }
        try self.init(modelProto: [UInt8](data), source: url.path)
    }

    public convenience init(modelProto bytes: [UInt8], source: String) throws(TokenizerError) {
        let model = try SentencePieceModelProto(bytes: bytes, file: source)
        let modelTypes = [1: "unigram", 2: "bpe", 3: "word", 4: "char"]
        guard model.modelType == 2 else {
            throw .unsupportedModel(file: source, key: "trainer_spec.model_type",
                                    value: modelTypes[model.modelType] ?? "\(model.modelType)")
        }
        guard model.normalizerCharsmapSize == 0 else {
            throw .invalid(file: source, key: "normalizer_spec.precompiled_charsmap",
                           reason: "normalizer \(model.normalizerName) rewrites characters; only the identity normalizer is supported")
        }
        guard model.escapeWhitespaces, !model.whitespaceAsSuffix else {
            throw .invalid(file: source, key: model.whitespaceAsSuffix ? "trainer_spec.treat_whitespace_as_suffix" : "normalizer_spec.escape_whitespaces",
                           reason: "only a \"▁\" prefix on words is supported")
        }
        guard !model.pieces.isEmpty else { throw .missing(file: source, key: "pieces") }
        func checked(_ id: Int, _ key: String) throws(TokenizerError) -> Int? {
            guard id >= 0 else { return nil }
            guard model.pieces.indices.contains(id) else {
                throw .invalid(file: source, key: key, reason: "id \(id) is outside the \(model.pieces.count) pieces")
            }
            return id
        }
        let bos = try checked(model.bosID, "trainer_spec.bos_id")
        let eos = try checked(model.eosID, "trainer_spec.eos_id")
        let unknown = try checked(model.unknownID, "trainer_spec.unk_id")

        var options = Options()
        options.spacePrefix = model.addDummyPrefix ? .textStart : .none
        options.removeExtraWhitespaces = model.removeExtraWhitespaces
        options.byteFallback = model.byteFallback
        options.stripsLeadingSpaceOnDecode = model.addDummyPrefix || model.removeExtraWhitespaces
        try self.init(typedPieces: model.pieces, mergeOrder: .scores, options: options, bosID: bos, eosID: eos, unknownID: unknown,
                      addsBOS: bos != nil, addsEOS: false, source: source)
    }

    /// SentencePiece and llama.cpp semantics from piece types: user-defined pieces are matched in text
    /// always, control and unknown pieces only when parsing special tokens; control pieces are special.
    convenience init(typedPieces pieces: [Piece], mergeOrder: MergeOrder, options: Options,
                     bosID: Int?, eosID: Int?, unknownID: Int?, addsBOS: Bool, addsEOS: Bool, otherEndIDs: Set<Int> = [],
                     source: String) throws(TokenizerError) {
        var textTokens: [Int: TextToken] = [:], special = Set<Int>()
        for (id, piece) in pieces.enumerated() {
            switch piece.type {
            case .userDefined: textTokens[id] = TextToken(.always)
            case .control:
                textTokens[id] = TextToken(.whenParsingSpecial)
                special.insert(id)
            case .unknown: textTokens[id] = TextToken(.whenParsingSpecial)
            default: break
            }
        }
        var ends = Set([eosID].compactMap { $0 }).union(otherEndIDs)
        for name in BPETokenizer.endOfTurnTokens {
            if let id = pieces.firstIndex(where: { $0.text == name }), special.contains(id) { ends.insert(id) }
        }
        try self.init(pieces: pieces, mergeOrder: mergeOrder, options: options, textTokens: textTokens,
                      specialIDs: special, bosID: bosID, eosID: eosID, unknownID: unknownID, endIDs: ends,
                      addsBOS: addsBOS, addsEOS: addsEOS, source: source)
    }
}

/// The fields of a SentencePiece `ModelProto` that the tokenizer uses, with protobuf's defaults.
struct SentencePieceModelProto {
    var pieces: [SentencePieceTokenizer.Piece] = []
    var modelType = 1
    var byteFallback = false
    var whitespaceAsSuffix = false
    var unknownID = 0
    var bosID = 1
    var eosID = 2
    var normalizerName = "(unnamed)"
    var normalizerCharsmapSize = 0
    var addDummyPrefix = true
    var removeExtraWhitespaces = true
    var escapeWhitespaces = true

    init(bytes: [UInt8], file: String) throws(TokenizerError) {
        var reader = ProtobufReader(bytes: bytes, range: 0..<bytes.count, file: file, message: "ModelProto")
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 2): pieces.append(try Self.piece(reader.submessage("pieces[\(pieces.count)]"), file: file))
            case (2, 2): try readTrainerSpec(reader.submessage("trainer_spec"))
            case (3, 2): try readNormalizerSpec(reader.submessage("normalizer_spec"))
            default: try reader.skip(field)
            }
        }
    }

    private static func piece(_ reader: ProtobufReader, file: String) throws(TokenizerError) -> SentencePieceTokenizer.Piece {
        var reader = reader
        var piece = SentencePieceTokenizer.Piece("")
        var hasText = false
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 2):
                piece.text = try reader.string()
                hasText = true
            case (2, 5): piece.score = Float(bitPattern: try reader.fixed32())
            case (3, 0):
                let offset = reader.offset
                let raw = try reader.varint()
                guard let type = SentencePieceTokenizer.PieceType(rawValue: Int(truncatingIfNeeded: raw)) else {
                    throw .corrupt(file: file, offset: offset, reason: "\(reader.message).type \(raw) is not a piece type (1-6)")
                }
                piece.type = type
            default: try reader.skip(field)
            }
        }
        guard hasText else { throw .corrupt(file: file, offset: reader.range.lowerBound, reason: "\(reader.message) has no piece text") }
        return piece
    }

    private mutating func readTrainerSpec(_ reader: ProtobufReader) throws(TokenizerError) {
        var reader = reader
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (3, 0): modelType = Int(truncatingIfNeeded: try reader.varint())
            case (24, 0): whitespaceAsSuffix = try reader.varint() != 0
            case (35, 0): byteFallback = try reader.varint() != 0
            // int32 fields: a negative id is a ten-byte varint.
            case (40, 0): unknownID = Int(Int32(truncatingIfNeeded: try reader.varint()))
            case (41, 0): bosID = Int(Int32(truncatingIfNeeded: try reader.varint()))
            case (42, 0): eosID = Int(Int32(truncatingIfNeeded: try reader.varint()))
            default: try reader.skip(field)
            }
        }
    }

    private mutating func readNormalizerSpec(_ reader: ProtobufReader) throws(TokenizerError) {
        var reader = reader
        while let field = try reader.nextField() {
            switch (field.number, field.wireType) {
            case (1, 2): normalizerName = try reader.string()
            case (2, 2): normalizerCharsmapSize = try reader.submessage("precompiled_charsmap").range.count
            case (3, 0): addDummyPrefix = try reader.varint() != 0
            case (4, 0): removeExtraWhitespaces = try reader.varint() != 0
            case (5, 0): escapeWhitespaces = try reader.varint() != 0
            default: try reader.skip(field)
            }
        }
    }
}

/// Reads protobuf's wire format within one message; every error names the byte offset in the file.
struct ProtobufReader {
    let bytes: [UInt8]
    let range: Range<Int>
    let file: String
    /// The message being read, for errors (`ModelProto.pieces[12]`).
    let message: String
    private(set) var offset: Int

    init(bytes: [UInt8], range: Range<Int>, file: String, message: String) {
        self.bytes = bytes
        self.range = range
        self.file = file
        self.message = message
        offset = range.lowerBound
    }

    struct Field { var number: Int; var wireType: Int; var offset: Int }

    /// The next field's key, or nil at the end of the message.
    mutating func nextField() throws(TokenizerError) -> Field? {
        guard offset < range.upperBound else { return nil }
        let start = offset
        let key = try varint()
        guard key >> 3 > 0 else { throw .corrupt(file: file, offset: start, reason: "\(message): field number 0") }
        return Field(number: Int(key >> 3), wireType: Int(key & 7), offset: start)
    }

    mutating func varint() throws(TokenizerError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard offset < range.upperBound else {
                throw .corrupt(file: file, offset: start, reason: "\(message): varint runs past the end of the message")
            }
            let byte = bytes[offset]
            offset += 1
            if shift < 64 { value |= UInt64(byte & 0x7f) << UInt64(shift) }
            if byte < 0x80 { return value }
        }
        throw .corrupt(file: file, offset: start, reason: "\(message): varint longer than 10 bytes")
    }

    mutating func fixed32() throws(TokenizerError) -> UInt32 {
        guard offset + 4 <= range.upperBound else {
            throw .corrupt(file: file, offset: offset, reason: "\(message): 4-byte value runs past the end of the message")
        }
        let value = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32(8 * $1) }
        offset += 4
        return value
    }

    /// The bytes of a length-delimited field, as a reader of its own.
    mutating func submessage(_ name: String) throws(TokenizerError) -> ProtobufReader {
        let start = offset
        let length = try varint()
        guard length <= UInt64(range.upperBound - offset) else {
            throw .corrupt(file: file, offset: start,
                           reason: "\(message).\(name): length \(length) runs past the end (\(range.upperBound - offset) bytes left)")
        }
        let sub = ProtobufReader(bytes: bytes, range: offset..<offset + Int(length), file: file, message: "\(message).\(name)")
        offset += Int(length)
        return sub
    }

    mutating func string() throws(TokenizerError) -> String {
        let start = offset
        let sub = try submessage("piece")
        guard let text = String(validating: bytes[sub.range], as: UTF8.self) else {
            throw .corrupt(file: file, offset: start, reason: "\(message): a string is not UTF-8")
        }
        return text
    }

    mutating func skip(_ field: Field) throws(TokenizerError) {
        switch field.wireType {
        case 0: _ = try varint()
        case 1, 5:
            let width = field.wireType == 1 ? 8 : 4
            guard offset + width <= range.upperBound else {
                throw .corrupt(file: file, offset: offset, reason: "\(message): field \(field.number) runs past the end of the message")
            }
            offset += width
        case 2: _ = try submessage("field \(field.number)")
        default:
            throw .corrupt(file: file, offset: field.offset, reason: "\(message): field \(field.number) has wire type \(field.wireType), not one of 0, 1, 2, 5")
        }
    }
}
