// One resolver for every embedder a user can name: hashing, the cached sentence encoder, a decoder, or nothing.
import Engine
import Foundation
import ModelFiles
import Testing

@Suite struct EmbedderLoaderTests {
    @Test func eachKindOfReferenceIsFoundWithoutLoading() throws {
        #expect(try EmbedderLoader.locate("hashing") == .hashing)
        #expect(try EmbedderLoader.locate("minilm") == .encoder(minilmDirectory))
        guard case let .encoder(byPath) = try EmbedderLoader.locate(minilmDirectory.path) else {
            Issue.record("a sentence-transformers directory is an encoder"); return
        }
        #expect(byPath.standardizedFileURL.path == minilmDirectory.standardizedFileURL.path)
        let smollm2 = ModelCache.checkedFile(of: ModelCache.model(named: "smollm2")!)
        if FileManager.default.fileExists(atPath: smollm2.path) {
            #expect(try EmbedderLoader.locate("smollm2") == .decoder(smollm2))
            #expect(throws: EngineError.notAnEncoder(reference: "smollm2", found: "a decoder (\(smollm2.path))")) {
                try EmbedderLoader.encoderDirectory("smollm2")
            }
        }
        #expect(try EmbedderLoader.encoderDirectory("minilm") == minilmDirectory)
    }

    @Test func anUnknownNameIsAClearErrorNamingIt() throws {
        let name = "no-such-model-\(UUID().uuidString)"
        let error = #expect(throws: EngineError.self) { try EmbedderLoader.locate(name) }
        #expect(error?.localizedDescription.contains(name) == true, "\(String(describing: error))")
        #expect(throws: EngineError.notAnEncoder(reference: "hashing", found: "the model-free hashing embedder")) {
            try EmbedderLoader.encoderDirectory("hashing")
        }
    }

    @Test func aLoadedEmbedderIsNamedAsTheUserNamedIt() throws {
        let hashing = try EmbedderLoader.load("hashing")
        #expect(hashing.name == "hashing-trigram-256" && hashing.dimension == 256)
        let encoder = try EmbedderLoader.load("minilm")
        #expect(encoder.name == "minilm" && encoder is BERTEmbedder)
        let vectors = try encoder.embed(["def add(a, b): return a + b"])
        #expect(vectors.count == 1 && vectors[0].count == 384)
    }
}
