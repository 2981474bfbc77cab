// One entry point per file kind that picks the tokenizer the file describes (the registry of tokenizer kinds).
import Foundation
import ModelFiles

public enum TokenizerLoader {
    /// The tokenizer of a GGUF file, by `tokenizer.ggml.model`.
    public static func load(gguf: GGUFFile) throws(TokenizerError) -> any Tokenizer {
        try BPETokenizer(gguf: gguf)
    }

    /// The tokenizer a Hugging Face `tokenizer.json` describes.
    public static func load(tokenizerJSON url: URL) throws(TokenizerError) -> any Tokenizer {
        try BPETokenizer(tokenizerJSON: url)
    }
}
