// Reading what every tokenizer format starts from: the JSON object of a tokenizer.json, and the special-token ids
// a GGUF file declares, each checked against the vocabulary.
import Foundation
import ModelFiles

enum TokenizerSources {
    /// The root object of a tokenizer.json; an unreadable file or a root that is not an object names the file.
    static func jsonRoot(_ url: URL) throws(TokenizerError) -> [String: Any] {
        do {
            guard let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
                throw TokenizerError.invalid(file: url.path, key: "(root)", reason: "not a JSON object")
            }
            return object
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .unreadable(file: url.path, reason: error.localizedDescription)
        }
    }

    /// The token id stored under `key`; nil when absent or negative (GGUF writers store -1 for "none"), an error
    /// when past the vocabulary.
    static func ggufTokenID(_ gguf: GGUFFile, _ key: String, vocabularySize: Int) throws -> Int? {
        guard let id = try gguf.optionalInt(key), id >= 0 else { return nil }
        guard id < vocabularySize else {
            throw TokenizerError.invalid(file: gguf.url.path, key: key, reason: "id \(id) is outside the vocabulary of \(vocabularySize)")
        }
        return id
    }
}
