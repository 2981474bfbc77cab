// Locates the SmolLM2 model and the reference fixtures made with transformers (scripts/fixtures/).
import Engine
import Foundation
import ModelFiles

enum SmolLM2Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/smollm2")

    static var modelFile: URL? {
        guard let cached = ModelCache.model(named: "smollm2") else { return nil }
        let url = ModelCache.checkedFile(of: cached)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// One loaded model shared by the tests (loading maps the file; cheap, but do it once).
    static let loaded: LoadedModel? = modelFile.flatMap { try? ModelLoader.load(file: $0, threads: 2) }

    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}
