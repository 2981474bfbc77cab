// Byte-level BPE from GGUF metadata (`tokenizer.ggml.*`).
import ModelFiles

extension BPETokenizer {
    /// Token types GGUF stores (llama.cpp's llama_token_type).
    enum GGUFTokenType: Int {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Tokens that end a turn in the chat formats we know, besides the declared eos.
    static let endOfTurnTokens = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>"]

    /// The `tokenizer.ggml.pre` names llama.cpp tokenizes with `ignore_merges`, as their tokenizer.json says (Llama 3).
    static func ignoresMerges(pre: String) -> Bool { ["llama3", "llama-bpe", "llama-v3"].contains(pre) }

    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        let file = gguf.url.path
        do {
            guard let model = try gguf.optionalString("tokenizer.ggml.model") else {
                throw TokenizerError.missing(file: file, key: "tokenizer.ggml.model")
            }
            guard model == "gpt2" else {
                throw TokenizerError.unsupportedModel(file: file, key: "tokenizer.ggml.model", value: model)
            }
            guard let tokens = try gguf.optionalStrings("tokenizer.ggml.tokens") else {
                throw TokenizerError.missing(file: file, key: "tokenizer.ggml.tokens")
            }
            guard let merges = try gguf.optionalStrings("tokenizer.ggml.merges") else {
                throw TokenizerError.missing(file: file, key: "tokenizer.ggml.merges")
            }
            let types = try gguf.optionalInts("tokenizer.ggml.token_type") ?? []
            if !types.isEmpty && types.count != tokens.count {
                throw TokenizerError.invalid(file: file, key: "tokenizer.ggml.token_type",
                                             reason: "\(types.count) types for \(tokens.count) tokens")
            }
            let preName = try gguf.optionalString("tokenizer.ggml.pre") ?? "default"
            guard let pre = PreTokenizer(ggufName: preName) else {
                throw TokenizerError.unsupportedPreTokenizer(file: file, value: preName)
            }
            func checkedID(_ key: String) throws -> Int? { try TokenizerSources.ggufTokenID(gguf, key, vocabularySize: tokens.count) }
            let bos = try checkedID("tokenizer.ggml.bos_token_id")
            let eos = try checkedID("tokenizer.ggml.eos_token_id")
            let eot = try checkedID("tokenizer.ggml.eot_token_id")
            var added: [Int] = [], special = Set<Int>()
            for (id, type) in types.enumerated() {
                if type == GGUFTokenType.control.rawValue || type == GGUFTokenType.userDefined.rawValue { added.append(id) }
                if type == GGUFTokenType.control.rawValue { special.insert(id) }
            }
            var ends = Set([eos, eot].compactMap { $0 })
            for name in Self.endOfTurnTokens {
                if let id = tokens.firstIndex(of: name), special.contains(id) { ends.insert(id) }
            }
            try self.init(tokens: tokens, merges: merges, preTokenizer: pre, addedTokens: added, specialIDs: special,
                          bosID: bos, endIDs: ends, addsBOS: try gguf.optionalBool("tokenizer.ggml.add_bos_token") ?? false,
                          ignoresMerges: Self.ignoresMerges(pre: preName), source: file)
        } catch let error as TokenizerError {
            throw error
        } catch let error as ModelFileError {
            throw .unreadable(file: file, reason: error.localizedDescription)
        } catch {
            throw .unreadable(file: file, reason: "\(error)")
        }
    }
}
