// SentencePiece-style BPE from GGUF metadata (`tokenizer.ggml.model = llama`): tokens, scores and
// token types, with llama.cpp's defaults (BOS added, space prefix on).
import ModelFiles

extension SentencePieceTokenizer {
    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        let file = gguf.url.path
        do {
            let model = try gguf.optionalString("tokenizer.ggml.model")
            guard model == "llama" else {
                throw TokenizerError.unsupportedModel(file: file, key: "tokenizer.ggml.model", value: model ?? "(none)")
            }
            guard let tokens = try gguf.optionalStrings("tokenizer.ggml.tokens") else {
                throw TokenizerError.missing(file: file, key: "tokenizer.ggml.tokens")
            }
            guard let scoreValues = gguf.value("tokenizer.ggml.scores")?.array else {
                throw TokenizerError.missing(file: file, key: "tokenizer.ggml.scores")
            }
            let scores = scoreValues.compactMap(\.double)
            guard scores.count == tokens.count else {
                throw TokenizerError.invalid(file: file, key: "tokenizer.ggml.scores",
                                             reason: "\(scores.count) numeric scores for \(tokens.count) tokens")
            }
            let types = try gguf.optionalInts("tokenizer.ggml.token_type")
            if let types, types.count != tokens.count {
                throw TokenizerError.invalid(file: file, key: "tokenizer.ggml.token_type", reason: "\(types.count) types for \(tokens.count) tokens")
            }
            func checkedID(_ key: String) throws -> Int? { try TokenizerSources.ggufTokenID(gguf, key, vocabularySize: tokens.count) }
            let bos = try checkedID("tokenizer.ggml.bos_token_id")
            let eos = try checkedID("tokenizer.ggml.eos_token_id")
            let unknown = try checkedID("tokenizer.ggml.unknown_token_id")
            let endOfTurn = try checkedID("tokenizer.ggml.eot_token_id")
            var pieces: [Piece] = []
            pieces.reserveCapacity(tokens.count)
            for (id, token) in tokens.enumerated() {
                let type: PieceType
                if let types {
                    guard let known = PieceType(rawValue: types[id]) else {
                        throw TokenizerError.invalid(file: file, key: "tokenizer.ggml.token_type[\(id)]", reason: "\(types[id]) is not a token type (1-6)")
                    }
                    type = known
                } else {
                    // Without types, only the ids the file names and the <0xXX> spellings are told apart.
                    type = id == unknown ? .unknown : id == bos || id == eos ? .control : Self.isBytePiece(token) ? .byte : .normal
                }
                pieces.append(Piece(token, score: Float(scores[id]), type: type))
            }
            var options = Options()
            // llama.cpp prepends the space before every stretch of text that follows a matched token.
            options.spacePrefix = try gguf.optionalBool("tokenizer.ggml.add_space_prefix") ?? true ? .everySegment : .none
            options.removeExtraWhitespaces = try gguf.optionalBool("tokenizer.ggml.remove_extra_whitespaces") ?? false
            options.byteFallback = pieces.contains { $0.type == .byte }
            options.stripsLeadingSpaceOnDecode = options.spacePrefix != .none
            try self.init(typedPieces: pieces, mergeOrder: .scores, options: options, bosID: bos, eosID: eos,
                          unknownID: unknown, addsBOS: try gguf.optionalBool("tokenizer.ggml.add_bos_token") ?? true,
                          addsEOS: try gguf.optionalBool("tokenizer.ggml.add_eos_token") ?? false,
                          otherEndIDs: Set([endOfTurn].compactMap { $0 }), source: file)
        } catch let error as TokenizerError {
            throw error
        } catch let error as ModelFileError {
            throw .unreadable(file: file, reason: error.localizedDescription)
        } catch {
            throw .unreadable(file: file, reason: "\(error)")
        }
    }

    static func isBytePiece(_ text: String) -> Bool {
        text.utf8.count == 6 && text.hasPrefix("<0x") && text.hasSuffix(">") && UInt8(text.dropFirst(3).prefix(2), radix: 16) != nil
    }
}
