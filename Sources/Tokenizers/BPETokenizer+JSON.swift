// Byte-level BPE from a Hugging Face `tokenizer.json` (with `tokenizer_config.json` beside it for
// the BOS/EOS names and the chat template).
import Foundation
import ModelFiles

extension BPETokenizer {
    public convenience init(tokenizerJSON url: URL) throws(TokenizerError) {
        let file = url.path
        let root = try TokenizerSources.jsonRoot(url)
        guard let model = root["model"] as? [String: Any] else { throw .missing(file: file, key: "model") }
        let type = model["type"] as? String ?? "(none)"
        guard type == "BPE" else { throw .unsupportedModel(file: file, key: "model.type", value: type) }
        guard let vocab = model["vocab"] as? [String: Int] else { throw .missing(file: file, key: "model.vocab") }
        // Merges are "a b" strings in older files and [a, b] pairs in newer ones.
        var merges: [String] = []
        for merge in model["merges"] as? [Any] ?? [] {
            if let text = merge as? String { merges.append(text) }
            else if let pair = merge as? [String], pair.count == 2 { merges.append(pair[0] + " " + pair[1]) }
            else { throw .invalid(file: file, key: "model.merges", reason: "entry \(FileText.quoted("\(merge)")) is neither \"a b\" nor [a, b]") }
        }
        let addedTokens = root["added_tokens"] as? [[String: Any]] ?? []
        try TokenizerJSONIDs.check(vocab: vocab, addedTokens: addedTokens, file: file)
        // In id order, so that of two tokens a damaged file gives the same id, the same one wins on every run.
        var entries = vocab.map { ($0.value, $0.key) }.sorted { $0 < $1 }
        var added: [Int] = [], special = Set<Int>()
        for item in addedTokens {
            guard let id = item["id"] as? Int, let content = item["content"] as? String else { continue }
            entries.append((id, content))
            added.append(id)
            if item["special"] as? Bool ?? false { special.insert(id) }
        }
        let size = (entries.map(\.0).max() ?? -1) + 1
        var tokens = [String](repeating: "", count: size)
        for (id, token) in entries { tokens[id] = token }

        let pre = try PreTokenizer(huggingFace: root["pre_tokenizer"], file: file)
        let config = Self.tokenizerConfig(beside: url)
        func id(named key: String) -> Int? {
            let value = config[key]
            let name = value as? String ?? (value as? [String: Any])?["content"] as? String
            return name.flatMap { tokens.firstIndex(of: $0) }
        }
        let eos = id(named: "eos_token")
        var ends = Set([eos].compactMap { $0 })
        for name in Self.endOfTurnTokens {
            if let endID = tokens.firstIndex(of: name), special.contains(endID) { ends.insert(endID) }
        }
        try self.init(tokens: tokens, merges: merges, preTokenizer: pre, addedTokens: added, specialIDs: special,
                      bosID: id(named: "bos_token"), endIDs: ends, addsBOS: config["add_bos_token"] as? Bool ?? false,
                      ignoresMerges: model["ignore_merges"] as? Bool ?? false, source: file)
    }

    /// `tokenizer_config.json` beside `tokenizer.json`, or an empty dictionary.
    public static func tokenizerConfig(beside url: URL) -> [String: Any] {
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        guard let data = try? Data(contentsOf: configURL),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        return object
    }
}

extension PreTokenizer {
    static let deepSeekCoderPatterns = ["[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", "[一-龥ࠀ-一가-퟿]+"]

    /// Recognises the pre-tokenizer configurations of the supported families.
    public init(huggingFace value: Any?, file: String) throws(TokenizerError) {
        guard let config = value as? [String: Any] else { throw TokenizerError.missing(file: file, key: "pre_tokenizer") }
        let steps = config["type"] as? String == "Sequence" ? config["pretokenizers"] as? [[String: Any]] ?? [] : [config]
        let types = steps.map { $0["type"] as? String ?? "" }
        let pattern = steps.compactMap { (($0["pattern"] as? [String: Any])?["Regex"] as? String) }.first ?? ""
        if types == ["ByteLevel"] { self = .gpt2; return }
        if types == ["Digits", "ByteLevel"], steps[0]["individual_digits"] as? Bool == true { self = .smollm; return }
        if types.first == "Split", pattern.contains("\\p{N}{1,3}") { self = .llama3; return }
        // DeepSeek-Coder: four isolating splits, then every digit on its own.
        // The newline class may be written with the characters themselves or escaped.
        let patterns = steps.compactMap { ($0["pattern"] as? [String: Any])?["Regex"] as? String }
            .map { $0.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n") }
        if types == ["Split", "Split", "Split", "Split", "Digits", "ByteLevel"], patterns == Self.deepSeekCoderPatterns,
           steps[4]["individual_digits"] as? Bool == true { self = .deepseekCoder; return }
        if types.first == "Split", pattern.contains("\\p{N}"), pattern.contains("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+") { self = .qwen2; return }
        throw TokenizerError.unsupportedPreTokenizer(file: file, value: types.joined(separator: "+") + (pattern.isEmpty ? "" : " \(pattern)"))
    }
}
