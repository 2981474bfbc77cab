// SentencePiece-style BPE from a Hugging Face `tokenizer.json` (what Llama-family conversions and Abacus
// ship): a BPE model with `<0xXX>` byte fallback, spaces mapped to "▁" by a `Replace`/`Prepend`
// normalizer or a `Metaspace` pre-tokenizer, merges applied by rank as `tokenizers` does.
import Foundation
import ModelFiles

extension SentencePieceTokenizer {
    /// Whether a tokenizer.json describes SentencePiece-style BPE rather than byte-level BPE.
    static func isSentencePieceStyle(_ root: [String: Any]) -> Bool {
        let model = root["model"] as? [String: Any] ?? [:]
        if model["byte_fallback"] as? Bool == true { return true }
        let steps = Self.steps(root["normalizer"]) + Self.steps(root["pre_tokenizer"])
        return steps.contains { ["Metaspace", "Prepend"].contains($0["type"] as? String ?? "") }
    }

    public convenience init(tokenizerJSON url: URL) throws(TokenizerError) {
        let file = url.path
        let root = try TokenizerSources.jsonRoot(url)
        try self.init(tokenizerJSON: root, config: BPETokenizer.tokenizerConfig(beside: url), file: file)
    }

    convenience init(tokenizerJSON root: [String: Any], config: [String: Any], file: String) throws(TokenizerError) {
        guard let model = root["model"] as? [String: Any] else { throw .missing(file: file, key: "model") }
        let type = model["type"] as? String ?? "(none)"
        guard type == "BPE" else { throw .unsupportedModel(file: file, key: "model.type", value: type) }
        guard let vocab = model["vocab"] as? [String: Int] else { throw .missing(file: file, key: "model.vocab") }
        if let dropout = (model["dropout"] as? NSNumber)?.doubleValue, dropout > 0 {
            throw .invalid(file: file, key: "model.dropout", reason: "\(dropout): BPE dropout is for training only")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] where model[key] is String {
            throw .invalid(file: file, key: "model.\(key)", reason: "not supported for SentencePiece-style BPE")
        }
        var merges: [String] = []
        for (index, merge) in (model["merges"] as? [Any] ?? []).enumerated() {
            if let text = merge as? String { merges.append(text) }
            else if let pair = merge as? [String], pair.count == 2 { merges.append(pair[0] + " " + pair[1]) }
            else { throw .invalid(file: file, key: "model.merges[\(index)]", reason: "neither \"a b\" nor [a, b]") }
        }

        let addedTokens = root["added_tokens"] as? [[String: Any]] ?? []
        try TokenizerJSONIDs.check(vocab: vocab, addedTokens: addedTokens, file: file)
        // In id order, so that of two tokens a damaged file gives the same id, the same one wins on every run.
        var entries = vocab.map { ($0.value, $0.key) }.sorted { $0 < $1 }
        var textTokens: [Int: TextToken] = [:], special = Set<Int>(), userDefined = Set<Int>()
        for (index, item) in addedTokens.enumerated() {
            guard let id = item["id"] as? Int, let content = item["content"] as? String, id >= 0 else {
                throw .invalid(file: file, key: "added_tokens[\(index)]", reason: "needs an id and a content")
            }
            if item["single_word"] as? Bool == true {
                throw .invalid(file: file, key: "added_tokens[\(index)].single_word", reason: "\(FileText.quoted(content)): word-bounded added tokens are not supported")
            }
            entries.append((id, content))
            textTokens[id] = TextToken(.always, stripsLeft: item["lstrip"] as? Bool ?? false, stripsRight: item["rstrip"] as? Bool ?? false)
            if item["special"] as? Bool ?? false { special.insert(id) } else { userDefined.insert(id) }
        }
        let size = (entries.map(\.0).max() ?? -1) + 1
        // Ids missing from the file stay as empty unused pieces.
        var pieces = [Piece](repeating: Piece("", type: .unused), count: size)
        let unknownName = model["unk_token"] as? String
        for (id, text) in entries {
            let type: PieceType = special.contains(id) ? .control : userDefined.contains(id) ? .userDefined
                : text == unknownName ? .unknown : Self.isBytePiece(text) ? .byte : .normal
            pieces[id] = Piece(text, type: type)
        }

        var options = try Self.spaceOptions(root, file: file)
        options.byteFallback = model["byte_fallback"] as? Bool ?? false
        options.fuseUnknown = model["fuse_unk"] as? Bool ?? false
        options.ignoreMerges = model["ignore_merges"] as? Bool ?? false
        options.stripsLeadingSpaceOnDecode = Self.decoderStripsLeadingSpace(root["decoder"])

        let (bos, eos, addsBOS, addsEOS) = Self.sequenceTokens(root["post_processor"], config: config, ids: vocab, pieces: pieces)
        var ends = Set([eos].compactMap { $0 })
        for name in BPETokenizer.endOfTurnTokens {
            if let id = pieces.firstIndex(where: { $0.text == name }), special.contains(id) { ends.insert(id) }
        }
        try self.init(pieces: pieces, mergeOrder: .ranks(merges), options: options, textTokens: textTokens,
                      specialIDs: special, bosID: bos, eosID: eos, unknownID: unknownName.flatMap { vocab[$0] },
                      endIDs: ends, addsBOS: addsBOS, addsEOS: addsEOS, source: file)
    }

    /// The steps of a normalizer or pre-tokenizer, flattening a `Sequence`.
    private static func steps(_ value: Any?) -> [[String: Any]] {
        guard let object = value as? [String: Any] else { return [] }
        guard object["type"] as? String == "Sequence" else { return [object] }
        return (object["normalizers"] ?? object["pretokenizers"]) as? [[String: Any]] ?? []
    }

    /// Where "▁" replaces spaces and where it is prepended, from the normalizer and the pre-tokenizer.
    private static func spaceOptions(_ root: [String: Any], file: String) throws(TokenizerError) -> Options {
        var options = Options()
        options.spacePrefix = .none
        var replacesSpaces = false
        for (index, step) in steps(root["normalizer"]).enumerated() {
            let type = step["type"] as? String ?? "(none)"
            switch type {
            case "Prepend" where step["prepend"] as? String == metaspace: options.spacePrefix = .everySegment
            case "Replace" where (step["pattern"] as? [String: Any])?["String"] as? String == " " && step["content"] as? String == metaspace:
                replacesSpaces = true
            default:
                throw .invalid(file: file, key: "normalizer[\(index)]", reason: "\(FileText.quoted("\(type) \(Self.json(step))")) is not supported (Prepend \"▁\", Replace \" \" with \"▁\" are)")
            }
        }
        for (index, step) in steps(root["pre_tokenizer"]).enumerated() {
            let type = step["type"] as? String ?? "(none)"
            // Gemma splits at " " after its normalizer has replaced every space: a split that never applies.
            if type == "Split", replacesSpaces, (step["pattern"] as? [String: Any])?["String"] as? String == " " { continue }
            guard type == "Metaspace", step["replacement"] as? String ?? metaspace == metaspace else {
                throw .unsupportedPreTokenizer(file: file, value: "pre_tokenizer[\(index)] \(FileText.quoted(type)) (for SentencePiece-style BPE only Metaspace \"▁\" is)")
            }
            replacesSpaces = true
            options.splitAtSpaces = step["split"] as? Bool ?? true
            let scheme = step["prepend_scheme"] as? String ?? (step["add_prefix_space"] as? Bool ?? true ? "always" : "never")
            switch scheme {
            case "always": options.spacePrefix = .everySegmentUnlessSpace
            case "first": options.spacePrefix = .firstSegmentUnlessSpace
            case "never": break
            default: throw .invalid(file: file, key: "pre_tokenizer.prepend_scheme", reason: "\(FileText.quoted(scheme)) is not always, first or never")
            }
        }
        guard replacesSpaces else {
            throw .invalid(file: file, key: "normalizer", reason: "spaces are not replaced by \"▁\" (no Replace normalizer, no Metaspace pre-tokenizer)")
        }
        return options
    }

    /// A step as JSON with sorted keys: the same text on every run, unlike a dictionary's description.
    private static func json(_ step: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: step, options: [.sortedKeys]) else { return "\(step)" }
        return String(decoding: data, as: UTF8.self)
    }

    /// tokenizers' Llama decoders end with `Strip(" ", start: 1)`; older files decode with `Metaspace`.
    private static func decoderStripsLeadingSpace(_ value: Any?) -> Bool {
        guard let object = value as? [String: Any] else { return false }
        let steps = object["type"] as? String == "Sequence" ? object["decoders"] as? [[String: Any]] ?? [] : [object]
        return steps.contains { step in
            switch step["type"] as? String {
            case "Strip": (step["start"] as? Int ?? 0) > 0 && step["content"] as? String == " "
            case "Metaspace": (step["prepend_scheme"] as? String).map { $0 != "never" } ?? (step["add_prefix_space"] as? Bool ?? true)
            default: false
            }
        }
    }

    /// BOS and EOS, and whether they are added: from a `TemplateProcessing` post-processor, else from
    /// `tokenizer_config.json` (`bos_token`, `add_bos_token`, ...).
    private static func sequenceTokens(_ value: Any?, config: [String: Any], ids: [String: Int], pieces: [Piece])
        -> (bos: Int?, eos: Int?, addsBOS: Bool, addsEOS: Bool) {
        func id(_ name: String?) -> Int? { name.flatMap { name in ids[name] ?? pieces.firstIndex { $0.text == name } } }
        func configName(_ key: String) -> String? {
            config[key] as? String ?? (config[key] as? [String: Any])?["content"] as? String
        }
        var bos = id(configName("bos_token")), eos = id(configName("eos_token"))
        var addsBOS = config["add_bos_token"] as? Bool ?? false, addsEOS = config["add_eos_token"] as? Bool ?? false
        if let object = value as? [String: Any], object["type"] as? String == "TemplateProcessing",
           let single = object["single"] as? [[String: Any]] {
            let sequenceAt = single.firstIndex { $0["Sequence"] != nil } ?? single.count
            for (index, item) in single.enumerated() {
                guard let name = (item["SpecialToken"] as? [String: Any])?["id"] as? String, let tokenID = id(name) else { continue }
                if index < sequenceAt { bos = tokenID; addsBOS = true } else { eos = tokenID; addsEOS = true }
            }
            if !single.contains(where: { $0["SpecialToken"] != nil }) { addsBOS = false; addsEOS = false }
        }
        return (bos, eos, addsBOS, addsEOS)
    }
}
