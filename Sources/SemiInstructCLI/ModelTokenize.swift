// `semi-instruct model tokenize MODEL --text TEXT`: the ids a text becomes.
import ArgumentParser
import Engine
import Foundation
import ModelFiles
import Tokenizers

struct ModelTokenize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Print the token ids of a text.")

    @OptionGroup var model: ModelArgument

    @Option(help: "The text to tokenize.")
    var text: String

    @Flag(help: "Add the model's special tokens (BOS) as generation would.")
    var addSpecial = false

    @Flag(help: "Print ids and token strings as JSON.")
    var json = false

    func run() async throws {
        // Only the tokenizer is needed: no weights are touched.
        let tokenizer = try BPETokenizer(gguf: try GGUFFile(url: try ModelLoader.resolve(model.model)))
        let ids = tokenizer.encode(text, addSpecialTokens: addSpecial)
        if json {
            let object: [String: Any] = ["ids": ids, "tokens": ids.map { tokenizer.token($0) ?? "" }]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}
