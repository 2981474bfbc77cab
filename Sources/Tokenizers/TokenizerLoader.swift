// One entry point per file kind that picks the tokenizer the file describes (the registry of tokenizer kinds).
import Foundation
import ModelFiles

public enum TokenizerLoader {
    /// The tokenizer of a GGUF file, by `tokenizer.ggml.model`: `gpt2` byte-level BPE, `llama` SentencePiece-style BPE.
    public static func load(gguf: GGUFFile) throws(TokenizerError) -> any Tokenizer {
        let model: String?
        do { model = try gguf.optionalString("tokenizer.ggml.model") } catch {
            throw .unreadable(file: gguf.url.path, reason: error.localizedDescription)
        }
        switch model {
        case "llama": return try SentencePieceTokenizer(gguf: gguf)
        default: return try BPETokenizer(gguf: gguf)
        }
    }

    /// The tokenizer a Hugging Face `tokenizer.json` describes: byte-level BPE, SentencePiece-style BPE
    /// (byte fallback, "▁" for spaces), or WordPiece (BERT encoders).
    public static func load(tokenizerJSON url: URL) throws(TokenizerError) -> any Tokenizer {
        let root = try TokenizerSources.jsonRoot(url)
        if (root["model"] as? [String: Any])?["type"] as? String == "WordPiece" {
            do {
                return WordPieceTokens(try WordPieceTokenizer.load(tokenizerJSON: url))
            } catch {
                // Reported as this file's model being invalid, whatever part of it WordPiece refused.
                throw .invalid(file: url.path, key: "model", reason: error.localizedDescription)
            }
        }
        guard SentencePieceTokenizer.isSentencePieceStyle(root) else { return try BPETokenizer(tokenizerJSON: url) }
        return try SentencePieceTokenizer(tokenizerJSON: root, config: BPETokenizer.tokenizerConfig(beside: url), file: url.path)
    }

    /// A tokenizer file on its own: a GGUF model, a `tokenizer.json`, or a SentencePiece `.model`.
    public static func load(file url: URL) throws(TokenizerError) -> any Tokenizer {
        let head: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            head = [UInt8](try handle.read(upToCount: 4) ?? Data())
        } catch {
            throw .unreadable(file: url.path, reason: error.localizedDescription)
        }
        if head == Array("GGUF".utf8) {
            do { return try load(gguf: GGUFFile(url: url)) } catch let error as TokenizerError { throw error } catch {
                throw .unreadable(file: url.path, reason: error.localizedDescription)
            }
        }
        if url.pathExtension == "json" || head.first == UInt8(ascii: "{") { return try load(tokenizerJSON: url) }
        return try SentencePieceTokenizer(modelFile: url)
    }
}
