// `semi-instruct model quantize` through the built binary: progress on stderr, a summary, clear refusals.
import Foundation
import Testing

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: BuiltBinary.url.path), "the binary is not built"))
struct ModelQuantizeCLITests {
    static let tinyF32 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny-llama/tiny-F32.gguf")

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quantize-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func quantizesThenRefusesToOverwrite() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("tiny-Q8_0.gguf").path
        let first = try BuiltBinary.run(["model", "quantize", Self.tinyF32.path, output, "--type", "q8_0"])
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.hasPrefix("wrote \(output) (Q8_0): 20 tensors (Q8_0 15, F32 5)"))
        // One progress line per tensor; F32 input, so no requantization note.
        #expect(first.error.split(separator: "\n").filter { $0.hasPrefix("[") }.count == 20)
        #expect(first.error.contains("blk.0.attn_q.weight 64x64 F32 -> Q8_0"))
        #expect(!first.error.contains("cannot restore"))

        let again = try BuiltBinary.run(["model", "quantize", Self.tinyF32.path, output, "--type", "Q4_0"])
        #expect(again.status != 0)
        #expect(again.error.contains("\(output): cannot open: the output file already exists"))

        // Requantizing a quantized file says what it cannot do.
        let requantized = directory.appendingPathComponent("tiny-Q4_0.gguf").path
        let down = try BuiltBinary.run(["model", "quantize", output, requantized, "--type", "Q4_0"])
        #expect(down.status == 0, "\(down.error)")
        #expect(down.error.contains("15 tensors are already quantized"))
        #expect(down.output.contains("precision the input lost is not restored"))
    }

    @Test func badArgumentsAreNamed() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.gguf").path
        let unknown = try BuiltBinary.run(["model", "quantize", Self.tinyF32.path, output, "--type", "Q3_K"])
        #expect(unknown.status != 0)
        #expect(unknown.error.contains("--type Q3_K is not one of Q8_0, Q4_0"))

        let missing = directory.appendingPathComponent("absent.gguf").path
        let absent = try BuiltBinary.run(["model", "quantize", missing, output, "--type", "Q8_0"])
        #expect(absent.status != 0)
        #expect(absent.error.contains("\(missing): cannot open"))

        let text = directory.appendingPathComponent("notes.gguf")
        try Data("these are not weights".utf8).write(to: text)
        let notGGUF = try BuiltBinary.run(["model", "quantize", text.path, output, "--type", "Q8_0"])
        #expect(notGGUF.status != 0)
        #expect(notGGUF.error.contains("\(text.path): not a GGUF file"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
