import Foundation
import Kernels
import Pipeline
import Testing

/// Damaged recipes (the shipped ones, changed from fixed seeds: flipped bits, YAML's own punctuation dropped in,
/// lines cut, numbers made huge, aliases nested): each loads or gives an error naming the file, never a crash.
@Suite struct RecipeFuzzTests {
    static let punctuation: [UInt8] = Array("&*:[]{}!%|>-#'\"\n\t ,?@`0.e9".utf8) + [0x00, 0xFF, 0xC3]

    static func damage(_ original: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = original
        for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &random)
            case 1: bytes[at] = punctuation.randomElement(using: &random)!
            case 2: bytes.insert(punctuation.randomElement(using: &random)!, at: at)
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &random)))
            case 4:
                // A number made huge or negative where a digit was.
                if let digit = bytes[at...].firstIndex(where: { (0x30...0x39).contains($0) }) {
                    bytes.replaceSubrange(digit...digit, with: Array(["99999999999999999999", "-1", "1e308", ".nan", "0x7fffffffffffffff"]
                        .randomElement(using: &random)!.utf8))
                }
            default:
                bytes.insert(contentsOf: Array("\nx: &a [*a, *a]\n".utf8), at: at)
            }
        }
        return bytes
    }

    @Test func damagedRecipesLoadOrNameTheProblem() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("recipes")
        let scratch = try temporaryDirectory("recipe-fuzz")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let originals = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(originals.count >= 3)
        var random = SplitMix64(seed: 22)  // the same damage on every run
        var loaded = 0, refused = 0
        for name in originals {
            let original = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
            for round in 0..<700 {
                let file = scratch.appendingPathComponent("\(round)-\(name)")
                try Data(Self.damage(original, &random)).write(to: file)
                do {
                    _ = try RecipeLoader.load(path: file.path)
                    loaded += 1
                } catch let error as PipelineError {
                    let message = error.errorDescription ?? ""
                    #expect(message.hasPrefix(file.path) && message.count < 2000, "\(message.prefix(300))")
                    refused += 1
                }
            }
        }
        #expect(loaded + refused == 700 * originals.count && loaded > 0 && refused > 0, "\(loaded) loaded, \(refused) refused")
        print("recipe fuzz: \(loaded + refused) damaged recipes, \(loaded) loaded, \(refused) refused with their file named")
    }
}
