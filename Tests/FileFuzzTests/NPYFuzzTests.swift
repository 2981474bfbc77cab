// Fuzzing the .npy reader: float32 and float64 matrices, with the header's text and length damaged too.
import Dedup
import Foundation
import Testing
import VectorIndex

struct NPYFuzzTests {
    /// A version 1.0 .npy of a 4 x 3 float64 matrix, written by hand (NPYFile writes only float32).
    static func float64File() -> [UInt8] {
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let length = UInt16(header.utf8.count)
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
        for i in 0..<12 { withUnsafeBytes(of: (Double(i) / 8 - 0.5).bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    static func float32File() throws -> [UInt8] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-seed-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NPYFile.write(try Matrix(rows: 4, columns: 3, values: (0..<12).map { Float($0) / 8 - 0.5 }), to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    @Test(arguments: ["f4", "f8"])
    func damagedNPYFilesLoadOrThrow(dtype: String) throws {
        let seed = dtype == "f4" ? try Self.float32File() : Self.float64File()
        let headerEnd = 10 + (Int(seed[8]) | Int(seed[9]) << 8)
        // The header length made to match a header whose numbers changed length: it ends at its newline.
        func repair(_ bytes: [UInt8]) -> [UInt8] {
            guard bytes.count > 10, bytes[6] == 1, let newline = bytes[10...].firstIndex(of: 0x0A), newline - 9 <= 0xFFFF else { return bytes }
            var fixed = bytes
            fixed[8] = UInt8((newline - 9) & 0xFF)
            fixed[9] = UInt8((newline - 9) >> 8)
            return fixed
        }
        var mutator = Mutator(seed: dtype == "f4" ? 4 : 8, original: seed, binaryRegion: 0..<10, textRegion: 10..<headerEnd,
                              repair: repair)
        let tally = try FuzzRun.run("npy-\(dtype)", rounds: 500, mutator: &mutator, fileName: "vectors.npy") { url in
            _ = try NPYFile.readMatrix(url)
        }
        #expect(tally.loaded >= 20 && tally.errors >= 250, "\(tally)")
    }
}
