// Blocks made by gguf-py (Tests/Fixtures/kquant/blocks.json, from scripts/fixtures/kquant_blocks.py): our
// dequantisation gives gguf-py's floats, and our quantizer gives gguf-py's blocks for the types it quantizes.
import Foundation
import Kernels
import Testing

struct KQuantFixture: Decodable {
    struct Quantized: Decodable {
        let type: String
        let input: Int
        let hex: String
        let dequantized: [Float]
    }
    struct RandomBlocks: Decodable {
        let type: String
        let hex: String
        let dequantized: [Float]
    }
    let columns: Int
    let inputs: [[Float]]
    let quantized: [Quantized]
    let random_blocks: [RandomBlocks]

    static let shared: KQuantFixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/kquant/blocks.json")
        do {
            return try JSONDecoder().decode(KQuantFixture.self, from: Data(contentsOf: url))
        } catch {
            preconditionFailure("cannot read \(url.path): \(error)")
        }
    }()

    static func type(named name: String) -> TensorType {
        guard let type = TensorType.allCases.first(where: { $0.description == name }) else {
            preconditionFailure("fixture names unknown type \(name)")
        }
        return type
    }

    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }
}

struct KQuantGoldenTests {
    static let fixture = KQuantFixture.shared

    func dequantize(_ type: TensorType, _ bytes: [UInt8], count: Int) -> [Float] {
        bytes.withUnsafeBytes { WeightMatrix(type: type, rows: 1, columns: count, data: $0.baseAddress!).dequantized() }
    }

    @Test func dequantizationMatchesGGUFPy() {
        let entries = Self.fixture.random_blocks.map { ($0.type, $0.hex, $0.dequantized) }
            + Self.fixture.quantized.map { ($0.type, $0.hex, $0.dequantized) }
        #expect(Set(entries.map(\.0)) == ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"])
        for (name, hex, expected) in entries {
            let type = KQuantFixture.type(named: name)
            let bytes = KQuantFixture.bytes(hex: hex)
            #expect(bytes.count == type.rowBytes(count: expected.count))
            let ours = dequantize(type, bytes, count: expected.count)
            let reference = Reference.dequantize(type, bytes: bytes, count: expected.count)
            let worst = zip(ours, expected).map { abs($0 - $1) / max(abs($1), 1e-6) }.max()!
            #expect(worst <= 1e-6, "\(name): relative difference \(worst) from gguf-py")
            #expect(reference == ours, "\(name): naive reference differs from the kernel")
        }
    }

    @Test func quantizerMatchesGGUFPy() {
        for entry in Self.fixture.quantized {
            let type = KQuantFixture.type(named: entry.type)
            let input = Self.fixture.inputs[entry.input]
            let theirs = KQuantFixture.bytes(hex: entry.hex)
            let ours = Quantize.row(input, to: type)
            let decoded = dequantize(type, ours, count: input.count)
            // Same scale choice and rounding: at most a rare one-level difference where x/d lands on a tie.
            for block in 0..<input.count / 32 {
                let range = block * 32..<(block + 1) * 32
                let step = (input[range].max()! - input[range].min()!) / 15
                let worst = range.map { abs(decoded[$0] - entry.dequantized[$0]) }.max()!
                #expect(worst <= step * 1.01 + 1e-9, "\(entry.type) input \(entry.input) block \(block)")
            }
            let same = zip(ours, theirs).filter { $0 == $1 }.count
            #expect(Double(same) >= 0.99 * Double(theirs.count), "\(entry.type): \(same) of \(theirs.count) bytes as gguf-py")
        }
    }
}
