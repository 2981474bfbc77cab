// MODEL as a Hugging Face id, resolved in a fake hub cache laid out as `huggingface-cli download` leaves it.
import Engine
import Foundation
import ModelFiles
import Testing

struct ModelResolutionTests {
    /// hub/models--ORG--NAME/{refs/main, snapshots/<hash>/files...}
    static func fakeHub(files: [String], ref: String? = "abc123", snapshots: [String] = ["abc123"]) throws -> URL {
        let hub = FileManager.default.temporaryDirectory.appendingPathComponent("hub-\(UUID().uuidString)")
        let repository = hub.appendingPathComponent("models--HIT-SCIR--Abacus")
        for snapshot in snapshots {
            let directory = repository.appendingPathComponent("snapshots/\(snapshot)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for file in files { try Data("{}".utf8).write(to: directory.appendingPathComponent(file)) }
        }
        if let ref {
            try FileManager.default.createDirectory(at: repository.appendingPathComponent("refs"), withIntermediateDirectories: true)
            try Data((ref + "\n").utf8).write(to: repository.appendingPathComponent("refs/main"))
        }
        return hub
    }

    @Test func huggingFaceIDResolvesToTheSnapshotMainNames() throws {
        let hub = try Self.fakeHub(files: ["config.json", "pytorch_model.bin", "tokenizer.json"], snapshots: ["old", "abc123"])
        defer { try? FileManager.default.removeItem(at: hub) }
        let cache = HuggingFaceCache(environment: ["HF_HUB_CACHE": hub.path])
        let url = try ModelLoader.resolve("HIT-SCIR/Abacus", huggingFace: cache)
        #expect(url.path == hub.appendingPathComponent("models--HIT-SCIR--Abacus/snapshots/abc123").path)
    }

    @Test func ggufRepositoryResolvesToItsFirstGGUF() throws {
        let hub = try Self.fakeHub(files: ["Abacus-Q8_0.gguf", "Abacus-Q4_K_M.gguf"], ref: nil)
        defer { try? FileManager.default.removeItem(at: hub) }
        // HF_HOME/hub is the cache when HF_HUB_CACHE is not set.
        let home = hub.deletingLastPathComponent().appendingPathComponent("home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: hub, to: home.appendingPathComponent("hub"))
        defer { try? FileManager.default.removeItem(at: home) }
        let cache = HuggingFaceCache(environment: ["HF_HOME": home.path])
        let url = try ModelLoader.resolve("HIT-SCIR/Abacus", huggingFace: cache)
        #expect(url.lastPathComponent == "Abacus-Q4_K_M.gguf")
    }

    @Test func defaultCacheIsUnderHome() {
        let cache = HuggingFaceCache(environment: ["HOME": "/home/someone"])
        #expect(cache.hub.path == "/home/someone/.cache/huggingface/hub")
        #expect(cache.repositoryDirectory("HIT-SCIR/Abacus").lastPathComponent == "models--HIT-SCIR--Abacus")
    }

    @Test func absentModelSaysWhereItLookedAndHowToDownload() throws {
        let hub = FileManager.default.temporaryDirectory.appendingPathComponent("empty-hub-\(UUID().uuidString)")
        let cache = HuggingFaceCache(environment: ["HF_HUB_CACHE": hub.path])
        let error = #expect(throws: EngineError.self) { try ModelLoader.resolve("HIT-SCIR/Abacus", huggingFace: cache) }
        let message = error?.localizedDescription ?? ""
        #expect(message.contains(hub.appendingPathComponent("models--HIT-SCIR--Abacus").path))
        #expect(message.contains("huggingface-cli download HIT-SCIR/Abacus"))
        #expect(message.contains("HF_HOME"))
        // Not an id at all: the message says so instead of pointing at the hub.
        let other = #expect(throws: EngineError.self) { try ModelLoader.resolve("no-such-model", huggingFace: cache) }
        #expect(other?.localizedDescription.contains("not a Hugging Face id") == true)
    }

    @Test func refToAMissingSnapshotIsNamed() throws {
        let hub = try Self.fakeHub(files: ["config.json"], ref: "deadbeef")
        defer { try? FileManager.default.removeItem(at: hub) }
        let cache = HuggingFaceCache(environment: ["HF_HUB_CACHE": hub.path])
        let error = #expect(throws: EngineError.self) { try ModelLoader.resolve("HIT-SCIR/Abacus", huggingFace: cache) }
        #expect(error?.localizedDescription.contains("names deadbeef") == true)
    }

    @Test func pytorchDirectoryLoadsUntilTheTokenizer() throws {
        // config.json + pytorch_model.bin is a model; without tokenizer.json the error names that file.
        let directory = TinyMiniCPM.directory.appendingPathComponent("small")
        #expect(try ModelLoader.resolve(directory.path).path == directory.path)
        let error = #expect(throws: EngineError.self) { try ModelLoader.load(directory.path, threads: 1) }
        #expect(error?.localizedDescription.contains("tokenizer.json") == true)
    }
}
