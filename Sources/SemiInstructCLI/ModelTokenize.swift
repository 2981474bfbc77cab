// `semi-instruct model tokenize MODEL --text TEXT`: the ids a text becomes.
import ArgumentParser
import CommandOptions
import Engine
import Foundation
import Tokenizers

struct ModelTokenize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text.",
        discussion: "MODEL may also be a tokenizer file on its own: a tokenizer.json or a SentencePiece .model file.")

    @OptionGroup var model: ModelArgument

    @Option(help: "The text to tokenize.")
    var text: String

    @Flag(help: "Add the model's special tokens (BOS) as generation would.")
    var addSpecial = false

    @Flag(help: "Print ids and token strings as JSON.")
    var json = false

    func run() async throws {
        let tokenizer = try Self.tokenizer(for: model.model)
        let ids = tokenizer.encode(text, addSpecialTokens: addSpecial)
        if json {
            let object: [String: Any] = ["ids": ids, "tokens": ids.map { tokenizer.token($0) ?? "" }]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }

    /// Only the tokenizer is read, never the weights: from a GGUF, a checkpoint's tokenizer.json (given its
    /// directory or its weights file, as a cached model such as `minilm` resolves), or a tokenizer file given directly.
    static func tokenizer(for reference: String) throws -> any Tokenizer {
        let url = try ModelLoader.resolve(reference)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        if isDirectory.boolValue { return try TokenizerLoader.load(tokenizerJSON: url.appendingPathComponent("tokenizer.json")) }
        if ["safetensors", "bin", "pt", "pth"].contains(url.pathExtension.lowercased()) {
            return try TokenizerLoader.load(tokenizerJSON: url.deletingLastPathComponent().appendingPathComponent("tokenizer.json"))
        }
        return try TokenizerLoader.load(file: url)
    }
}
