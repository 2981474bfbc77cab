// Bad models are typed errors that say what is wrong: an unknown tensor type, an unknown architecture.
import Engine
import Foundation
import ModelFiles
import Testing

struct BadModelTests {
    /// The tiny Q8_0 model with some bytes replaced, written to a temporary file.
    func patched(_ edit: (inout [UInt8]) -> Void) throws -> URL {
        var bytes = [UInt8](try Data(contentsOf: TinyLlama.directory.appendingPathComponent("tiny-Q8_0.gguf")))
        edit(&bytes)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        return url
    }

    func offset(of text: String, in bytes: [UInt8], after start: Int = 0) -> Int? {
        let needle = Array(text.utf8)
        return (start...(bytes.count - needle.count)).first { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    @Test func unknownTensorTypeNamesTheTensorAndType() throws {
        let url = try patched { bytes in
            // Tensor info: u64 name length, name, u32 dims, 2 x u64 extents, u32 type.
            let name = offset(of: "token_embd.weight", in: bytes, after: offset(of: "test.array_nested", in: bytes)!)!
            let typeOffset = name + "token_embd.weight".utf8.count + 4 + 16
            bytes[typeOffset] = 10  // Q2_K
        }
        defer { try? FileManager.default.removeItem(at: url) }
        let gguf = try GGUFFile(url: url)
        #expect(gguf.tensor(named: "token_embd.weight")?.typeName == "Q2_K")
        let error = #expect(throws: EngineError.self) {
            try LlamaModel(config: LlamaConfiguration(gguf: gguf), source: GGUFWeightSource(file: gguf), names: .gguf, threads: 1)
        }
        #expect(error?.localizedDescription.contains("token_embd.weight has type Q2_K") == true)
        #expect(error?.localizedDescription.contains(url.path) == true)
    }

    @Test func unknownArchitectureIsNamed() throws {
        let url = try patched { bytes in
            let key = offset(of: "general.architecture", in: bytes)!
            let value = offset(of: "llama", in: bytes, after: key + 20)!
            bytes.replaceSubrange(value..<value + 5, with: Array("gemma".utf8))
        }
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: EngineError.self) { try LlamaConfiguration(gguf: GGUFFile(url: url)) }
        #expect(error?.localizedDescription == "\(url.path): architecture gemma is not supported (supported: llama, minicpm, granite, qwen2, qwen3, starcoder2, phi3, stablelm, gemma2, gemma3)")
    }
}
