// Loading a WordPiece tokenizer from a model directory: tokenizer.json first, else vocab.txt.
import Foundation
import ModelFiles

extension WordPieceTokenizer {
    /// `tokenizer.json` when the directory has one, else `vocab.txt` with `tokenizer_config.json`'s casing.
    public static func load(directory: URL) throws -> WordPieceTokenizer {
        let json = directory.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: json.path) { return try load(tokenizerJSON: json) }
        let vocab = directory.appendingPathComponent("vocab.txt")
        if FileManager.default.fileExists(atPath: vocab.path) {
            var lowercase = true
            let config = directory.appendingPathComponent("tokenizer_config.json")
            if let data = try? Data(contentsOf: config),
               let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
               let flag = object["do_lower_case"] as? Bool
            {
                lowercase = flag
            }
            return try load(vocabTXT: vocab, lowercase: lowercase)
        }
        throw TokenizerError.missingFile(file: json.path + " (or vocab.txt)")
    }

    /// One token per line; the line number (from 0) is the id.
    public static func load(vocabTXT url: URL, lowercase: Bool) throws -> WordPieceTokenizer {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TokenizerError.missingFile(file: url.path)
        }
        var tokens: [String: Int] = [:]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        if lines.last == "" { lines.removeLast() }
        for (id, line) in lines.enumerated() {
            let token = line.hasSuffix("\r") ? String(line.dropLast()) : line
            if tokens[token] == nil { tokens[token] = id }
        }
        let model = try WordPieceModel(tokens: tokens)
        let special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { name in tokens[name].map { (name, $0) } }
        return try WordPieceTokenizer(
            model: model, normalizer: BertNormalizer(lowercase: lowercase),
            addedTokens: Dictionary(uniqueKeysWithValues: special), file: url.path)
    }

    /// Hugging Face `tokenizers` JSON with a WordPiece model and a BertNormalizer.
    public static func load(tokenizerJSON url: URL) throws -> WordPieceTokenizer {
        let file = url.path
        guard let data = try? Data(contentsOf: url) else { throw TokenizerError.missingFile(file: file) }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.invalidTokenizerJSON(file: file, detail: "not a JSON object")
        }
        guard let modelObject = root["model"] as? [String: Any] else {
            throw TokenizerError.invalidTokenizerJSON(file: file, detail: "no \"model\" object")
        }
        let type = modelObject["type"] as? String ?? "(none)"
        guard type == "WordPiece" else { throw TokenizerError.notWordPiece(file: file, type: type) }
        guard let vocabObject = modelObject["vocab"] as? [String: Any] else {
            throw TokenizerError.invalidTokenizerJSON(file: file, detail: "model.vocab is not an object")
        }
        let addedObjects = root["added_tokens"] as? [[String: Any]] ?? []
        // Ids size the tables built from them: each is checked first.
        let entries = vocabObject.count + addedObjects.count
        let ids = 0..<TokenizerJSONIDs.limit(entries: entries)
        var tokens: [String: Int] = [:]
        tokens.reserveCapacity(vocabObject.count)
        for (token, value) in vocabObject {
            guard let id = value as? Int else {
                throw TokenizerError.invalidTokenizerJSON(file: file, detail: "model.vocab[\"\(FileText.quoted(token))\"] is not an id")
            }
            guard ids.contains(id) else {
                throw TokenizerError.invalidTokenizerJSON(
                    file: file, detail: "model.vocab[\"\(FileText.quoted(token))\"]: \(TokenizerJSONIDs.outside(id, entries: entries))")
            }
            tokens[token] = id
        }
        let unknownToken = modelObject["unk_token"] as? String ?? "[UNK]"
        guard tokens[unknownToken] != nil else { throw TokenizerError.missingSpecialToken(file: file, token: unknownToken) }
        let model = try WordPieceModel(
            tokens: tokens,
            unknownToken: unknownToken,
            continuingSubwordPrefix: modelObject["continuing_subword_prefix"] as? String ?? "##",
            maxInputCharactersPerWord: (modelObject["max_input_chars_per_word"] as? NSNumber)?.intValue ?? 100)

        let normalizer = try readNormalizer(root["normalizer"], file: file)
        var added: [String: Int] = [:]
        for (index, entry) in addedObjects.enumerated() {
            if let content = entry["content"] as? String, let id = entry["id"] as? Int {
                guard ids.contains(id) else {
                    throw TokenizerError.invalidTokenizerJSON(
                        file: file, detail: "added_tokens[\(index)].id: \(TokenizerJSONIDs.outside(id, entries: entries))")
                }
                added[content] = id
            }
        }
        let (classifier, separator) = readSpecialTokens(root["post_processor"])
        let padding = ((root["padding"] as? [String: Any])?["pad_token"] as? String) ?? "[PAD]"
        return try WordPieceTokenizer(model: model, normalizer: normalizer, classifierToken: classifier,
                                      separatorToken: separator, paddingToken: padding,
                                      addedTokens: added, file: file)
    }

    private static func readNormalizer(_ value: Any?, file: String) throws -> BertNormalizer {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.invalidTokenizerJSON(file: file, detail: "no \"normalizer\" object (BertNormalizer expected)")
        }
        let type = object["type"] as? String ?? "(none)"
        guard type == "BertNormalizer" else {
            throw TokenizerError.invalidTokenizerJSON(file: file, detail: "normalizer.type '\(FileText.quoted(type))' is not BertNormalizer")
        }
        return BertNormalizer(
            cleanText: object["clean_text"] as? Bool ?? true,
            handleChineseCharacters: object["handle_chinese_chars"] as? Bool ?? true,
            stripAccents: object["strip_accents"] as? Bool,
            lowercase: object["lowercase"] as? Bool ?? true)
    }

    /// The tokens that open and close a single sequence, from BertProcessing or TemplateProcessing.
    private static func readSpecialTokens(_ value: Any?) -> (classifier: String, separator: String) {
        guard let object = value as? [String: Any] else { return ("[CLS]", "[SEP]") }
        if let cls = object["cls"] as? [Any], let sep = object["sep"] as? [Any],
           let clsToken = cls.first as? String, let sepToken = sep.first as? String
        {
            return (clsToken, sepToken)
        }
        if let single = object["single"] as? [[String: Any]] {
            let specials = single.compactMap { ($0["SpecialToken"] as? [String: Any])?["id"] as? String }
            if specials.count == 2 { return (specials[0], specials[1]) }
        }
        return ("[CLS]", "[SEP]")
    }
}
