// Shared helpers for the dedup tests: fixture paths, scratch directories, a counting embedder.
import Dedup
import Engine
import Foundation

enum TestFiles {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/semdedup")
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dedup-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    static func jsonObjects(_ url: URL) throws -> [[String: Any]] {
        try lines(url).map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }
}

/// Wraps an embedder and counts the texts it was asked to embed.
final class CountingEmbedder: Embedder, @unchecked Sendable {
    let inner: any Embedder
    private(set) var textsEmbedded = 0

    init(_ inner: any Embedder) { self.inner = inner }

    var name: String { inner.name }
    var dimension: Int { inner.dimension }

    func embed(_ texts: [String]) throws -> [[Float]] {
        textsEmbedded += texts.count
        return try inner.embed(texts)
    }
}
