// The real SmolLM2 model and vocabulary, when installed (make setup).
import Constraints
import Engine
import Foundation
import ModelFiles

enum SmolLM2 {
    static let loaded: LoadedModel? = {
        guard let cached = ModelCache.model(named: "smollm2") else { return nil }
        let url = ModelCache.checkedFile(of: cached)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try? ModelLoader.load(file: url, threads: 2)
    }()

    static let cache: TokenMatcherCache? = loaded.map { TokenMatcherCache(tokenizer: $0.tokenizer) }
}
