// The BERT encoder: element-wise kernels against reference loops, then all-MiniLM-L6-v2 against
// sentence-transformers' embeddings (cosine >= 0.9999), batching invariance, blank texts, broken directories.
import Engine
import Foundation
import Kernels
import ModelFiles
import Testing

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/minilm")
let minilmDirectory = ModelCache.directory(of: ModelCache.model(named: "minilm")!)

private func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
    }
    return dot / (na.squareRoot() * nb.squareRoot())
}

// MARK: - kernels

@Test func fastGELUMatchesTheErfDefinition() {
    var worst: Float = 0
    for step in -2000...2000 {
        let x = Float(step) / 100
        var value = [x]
        value.withUnsafeMutableBufferPointer { BERTKernels.gelu($0.baseAddress!, rows: 1, width: 1) }
        worst = max(worst, abs(value[0] - BERTKernels.geluReference(x)))
    }
    #expect(worst < 2e-6, "largest |fast - reference| = \(worst)")
}

@Test func sequenceAttentionMatchesNaiveLoops() {
    // Lengths across the 16-lane softmax and 32-column panel edges; MiniLM's 12 heads of 32.
    let (heads, headSize) = (3, 32)
    let width = heads * headSize
    for length in [1, 5, 17, 33, 70] {
        let qkv = (0..<(length * 3 * width)).map { Float(sin(Double($0) * 0.37)) }
        var context = [Float](repeating: .nan, count: length * width)
        var scratch = [Float](repeating: 0, count: SequenceAttention.scratchCount(longest: length, headSize: headSize))
        let scale: Float = 0.25
        qkv.withUnsafeBufferPointer { q in
            context.withUnsafeMutableBufferPointer { c in
                scratch.withUnsafeMutableBufferPointer { s in
                    SequenceAttention.run(qkv: q.baseAddress!, length: length, heads: heads, headSize: headSize, scale: scale,
                                          context: c.baseAddress!, scratch: s.baseAddress!)
                }
            }
        }
        for h in 0..<heads {
            func column(_ part: Int, _ t: Int, _ i: Int) -> Float { qkv[t * 3 * width + part * width + h * headSize + i] }
            for t in 0..<length {
                let scores = (0..<length).map { u in (0..<headSize).reduce(Float(0)) { $0 + column(0, t, $1) * column(1, u, $1) } * scale }
                let weights = BERTKernels.softmaxReference(scores)
                for i in 0..<headSize {
                    let expected = (0..<length).reduce(Float(0)) { $0 + weights[$1] * column(2, $1, i) }
                    #expect(abs(context[t * width + h * headSize + i] - expected) < 1e-4, "length \(length) head \(h) (\(t), \(i))")
                }
            }
        }
    }
}

@Test func softmaxAndLayerNormMatchTheirReferences() {
    // Widths that are and are not multiples of the SIMD width.
    for width in [1, 7, 16, 33, 384] {
        let rows = 3
        let input = (0..<(rows * width)).map { Float(sin(Double($0) * 1.7)) * 6 }
        var softmax = input
        softmax.withUnsafeMutableBufferPointer { SequenceAttention.softmaxRows($0.baseAddress!, rows: rows, width: width, stride: width) }
        for row in 0..<rows {
            let expected = BERTKernels.softmaxReference(Array(input[(row * width)..<((row + 1) * width)]))
            for j in 0..<width { #expect(abs(softmax[row * width + j] - expected[j]) < 1e-6) }
        }
        let gamma = (0..<width).map { 1 + Float($0 % 5) / 10 }
        let beta = (0..<width).map { Float($0 % 3) / 10 }
        var normed = input
        normed.withUnsafeMutableBufferPointer {
            BERTKernels.layerNorm($0.baseAddress!, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: 1e-12)
        }
        let expected = BERTKernels.layerNormReference(input, width: width, gamma: gamma, beta: beta, epsilon: 1e-12)
        for (a, b) in zip(normed, expected) { #expect(abs(a - b) < 1e-4) }
    }
}

// MARK: - all-MiniLM-L6-v2

private struct EmbeddingCases: Decodable {
    struct Case: Decodable { var text: String; var embedding: [Float] }
    var max_seq_length: Int
    var cases: [Case]
}

@Suite(.serialized) struct MiniLMTests {
    static let embedder = Result { try BERTEmbedder(directory: minilmDirectory) }

    /// The default precision (bfloat16 weights where the CPU has AVX-512 BF16), and FP32 explicitly.
    @Test(arguments: [nil] + PackedMatrix.Precision.allCases.filter(\.isSupported).map(Optional.some))
    func embeddingsMatchSentenceTransformers(precision: PackedMatrix.Precision?) throws {
        let embedder = precision == nil ? try Self.embedder.get() : try BERTEmbedder(directory: minilmDirectory, weightPrecision: precision)
        let fixture = try JSONDecoder().decode(
            EmbeddingCases.self, from: Data(contentsOf: fixtures.appendingPathComponent("embeddings.json")))
        #expect(fixture.cases.count >= 50)
        #expect(embedder.maxSequenceLength == fixture.max_seq_length)
        #expect(embedder.dimension == 384)
        let vectors = try embedder.embed(fixture.cases.map(\.text))
        var worst = 1.0
        for (vector, item) in zip(vectors, fixture.cases) {
            let similarity = cosine(vector, item.embedding)
            worst = min(worst, similarity)
            #expect(similarity >= 0.9999, "\(item.text.prefix(60).debugDescription): cosine \(similarity)")
        }
        #expect(worst >= 0.9999)
    }

    @Test func batchingDoesNotChangeTheVectors() throws {
        let embedder = try Self.embedder.get()
        let small = try BERTEmbedder(directory: minilmDirectory, tokensPerBatch: 1)
        let texts = ["def f(x):\n    return x * 2", "a much longer text " + String(repeating: "with many words ", count: 40),
                     "short", "", "import os\nprint(os.getcwd())"]
        let parallel = try BERTEmbedder(directory: minilmDirectory, tokensPerBatch: 16, workers: 2)
        let together = try embedder.embed(texts)
        let oneByOne = try small.embed(texts)
        let inParallel = try parallel.embed(texts)
        for (a, b) in zip(together, oneByOne) { #expect(cosine(a, b) > 0.999999) }
        for (a, b) in zip(together, inParallel) { #expect(cosine(a, b) > 0.999999) }
        #expect(try embedder.embed([]).isEmpty)
    }

    @Test func blankTextsHaveTheEmbeddingOfClsSep() throws {
        let embedder = try Self.embedder.get()
        let vectors = try embedder.embed(["", "   ", "\t\n\r", "\u{0}\u{1}\u{7f}", "\u{200b}\u{feff}"])
        for vector in vectors {
            #expect(vector.count == 384)
            #expect(vector.allSatisfy { $0.isFinite })
            #expect(cosine(vector, vectors[0]) > 0.999999)
        }
        #expect(embedder.tokenize("   ") == [101, 102])
    }
}

// MARK: - broken model directories

private func copyOfMiniLM(without removed: [String] = []) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bert-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
    for name in ["config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json", "1_Pooling/config.json"]
    where !removed.contains(name) {
        try FileManager.default.copyItem(at: minilmDirectory.appendingPathComponent(name), to: directory.appendingPathComponent(name))
    }
    if !removed.contains("model.safetensors") {
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("model.safetensors"),
                                                   withDestinationURL: minilmDirectory.appendingPathComponent("model.safetensors"))
    }
    return directory
}

private func loadingError(_ directory: URL) -> String {
    do {
        _ = try BERTEmbedder(directory: directory)
        return "(loaded)"
    } catch {
        return error.localizedDescription
    }
}

@Test func missingFilesAreNamed() throws {
    for missing in ["config.json", "model.safetensors", "tokenizer.json"] {
        let directory = try copyOfMiniLM(without: [missing])
        defer { try? FileManager.default.removeItem(at: directory) }
        let message = loadingError(directory)
        let named = missing == "model.safetensors" ? "model.safetensors" : missing.replacingOccurrences(of: ".json", with: "")
        #expect(message.contains(named), "missing \(missing): \(message)")
    }
}

@Test func aConfigThatDoesNotMatchTheWeightsNamesTheTensorAndShapes() throws {
    let directory = try copyOfMiniLM(without: ["config.json"])
    defer { try? FileManager.default.removeItem(at: directory) }
    var config = try JSONSerialization.jsonObject(with: Data(contentsOf: minilmDirectory.appendingPathComponent("config.json"))) as! [String: Any]
    config["intermediate_size"] = 1024
    try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
    let message = loadingError(directory)
    #expect(message.contains("encoder.layer.0.intermediate.dense.weight"), "\(message)")
    #expect(message.contains("[1536, 384]") && message.contains("[1024, 384]"), "\(message)")
}

// MARK: - damaged weights

/// A copy of all-MiniLM-L6-v2 whose embedding LayerNorm weight is NaN gives an error naming the model, not a vector of NaNs.
@Test func damagedWeightsAreAnErrorNotNaNVectors() throws {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("minilm-nan-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: minilmDirectory, to: copy)
    defer { try? FileManager.default.removeItem(at: copy) }
    let file = copy.appendingPathComponent("model.safetensors")
    var bytes = try Data(contentsOf: file)
    let headerLength = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
    let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + headerLength))) as! [String: Any]
    let entry = try #require(header.first { $0.key.hasSuffix("embeddings.LayerNorm.weight") }?.value as? [String: Any])
    let offsets = try #require(entry["data_offsets"] as? [Int])
    let nan = withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) }
    for offset in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
        bytes.replaceSubrange(offset..<(offset + 4), with: nan)
    }
    try bytes.write(to: file)
    let embedder = try BERTEmbedder(directory: copy)
    #expect(throws: EngineError.nonFiniteOutput(directory: copy.path, text: 0)) { _ = try embedder.embed(["def f(x): return x"]) }
}
