// The safetensors reader on files written here by hand: dtypes, metadata, shards, and every malformed header.
import Foundation
import ModelFiles
import Testing

/// Writes a safetensors file from (name, dtype, shape, raw bytes); `headerOverride` replaces the JSON header.
private func writeSafetensors(_ tensors: [(String, String, [Int], [UInt8])], metadata: [String: String]? = nil,
                              headerOverride: String? = nil, to url: URL) throws {
    var entries: [String] = []
    var data: [UInt8] = []
    for (name, dtype, shape, bytes) in tensors {
        entries.append("\"\(name)\": {\"dtype\": \"\(dtype)\", \"shape\": \(shape), \"data_offsets\": [\(data.count), \(data.count + bytes.count)]}")
        data += bytes
    }
    if let metadata {
        let pairs = metadata.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ")
        entries.insert("\"__metadata__\": {\(pairs)}", at: 0)
    }
    var header = Array((headerOverride ?? "{" + entries.joined(separator: ", ") + "}").utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var file: [UInt8] = []
    withUnsafeBytes(of: UInt64(header.count).littleEndian) { file += $0 }
    file += header + data
    try Data(file).write(to: url)
}

private func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } } }
private func halfBytes(_ values: [Float]) -> [UInt8] { values.flatMap { v in withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { Array($0) } } }
private func bfloatBytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: UInt16(truncatingIfNeeded: v.bitPattern >> 16).littleEndian) { Array($0) } }
}

private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Test func readsF32F16AndBF16AsFloats() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("model.safetensors")
    let values: [Float] = [1, -2.5, 0.15625, 1024, -0.0078125, 3]
    try writeSafetensors([("a.f32", "F32", [2, 3], floatBytes(values)), ("b.f16", "F16", [6], halfBytes(values)),
                          ("c.bf16", "BF16", [3, 2], bfloatBytes(values)), ("ids", "I64", [2], Array(repeating: 0, count: 16))],
                         metadata: ["format": "pt"], to: url)
    let file = try SafetensorsFile(url: url)
    #expect(file.metadata == ["format": "pt"])
    #expect(Set(file.tensors.keys) == ["a.f32", "b.f16", "c.bf16", "ids"])
    #expect(try file.floats("a.f32", expectedShape: [2, 3]) == values)
    #expect(try file.floats("b.f16") == values, "these values are exact in f16")
    #expect(try file.floats("c.bf16") == values, "and in bf16")
    #expect(try file.info("c.bf16").shape == [3, 2])
    #expect(throws: ModelFileError.unsupportedDType(file: url.path, tensor: "ids", dtype: "I64")) { try file.floats("ids") }
    #expect(throws: ModelFileError.shapeMismatch(file: url.path, tensor: "a.f32", expected: [3, 2], actual: [2, 3])) {
        try file.floats("a.f32", expectedShape: [3, 2])
    }
    #expect(throws: ModelFileError.missingTensor(file: url.path, tensor: "nope")) { try file.floats("nope") }
}

@Test func readsShardedCheckpointsThroughTheIndex() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try writeSafetensors([("first", "F32", [2], floatBytes([1, 2]))], to: directory.appendingPathComponent("model-00001-of-00002.safetensors"))
    try writeSafetensors([("second", "F32", [1], floatBytes([3]))], to: directory.appendingPathComponent("model-00002-of-00002.safetensors"))
    let index = #"{"metadata": {}, "weight_map": {"first": "model-00001-of-00002.safetensors", "second": "model-00002-of-00002.safetensors"}}"#
    try Data(index.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
    let checkpoint = try SafetensorsCheckpoint(directory: directory)
    #expect(checkpoint.tensorNames == ["first", "second"])
    #expect(try checkpoint.floats("first") == [1, 2])
    #expect(try checkpoint.floats("second", expectedShape: [1]) == [3])

    let wrong = #"{"weight_map": {"third": "model-00001-of-00002.safetensors"}}"#
    try Data(wrong.utf8).write(to: directory.appendingPathComponent("model.safetensors.index.json"))
    #expect(throws: ModelFileError.missingTensor(file: directory.appendingPathComponent("model-00001-of-00002.safetensors").path, tensor: "third")) {
        try SafetensorsCheckpoint(directory: directory)
    }
    try FileManager.default.removeItem(at: directory.appendingPathComponent("model.safetensors.index.json"))
    #expect(throws: ModelFileError.noWeights(directory: directory.path, expected: "model.safetensors or model.safetensors.index.json")) { try SafetensorsCheckpoint(directory: directory) }
}

@Test func malformedFilesGiveErrorsNamingFileTensorAndOffsets() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("bad.safetensors")

    try Data([1, 2, 3]).write(to: url)
    #expect(throws: ModelFileError.truncatedHeader(file: url.path, fileSize: 3)) { try SafetensorsFile(url: url) }

    var huge = Data()
    withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { huge.append(contentsOf: $0) }
    try huge.write(to: url)
    #expect(throws: ModelFileError.headerLengthTooLarge(file: url.path, headerLength: 1 << 40, fileSize: 8)) { try SafetensorsFile(url: url) }

    try writeSafetensors([], headerOverride: "{not json", to: url)
    #expect(throws: ModelFileError.self) { try SafetensorsFile(url: url) }

    try writeSafetensors([("w", "F32", [3], floatBytes([1, 2]))], to: url)
    #expect(throws: ModelFileError.sizeMismatch(file: url.path, tensor: "w", offset: 0, expectedBytes: 12, actualBytes: 8)) {
        try SafetensorsFile(url: url)
    }

    try writeSafetensors([], headerOverride: #"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#, to: url)
    #expect(throws: ModelFileError.dataOutOfBounds(file: url.path, tensor: "w", end: 16, dataLength: 0)) { try SafetensorsFile(url: url) }

    try writeSafetensors([], headerOverride: #"{"w": {"dtype": "Q4", "shape": [4], "data_offsets": [0, 0]}}"#, to: url)
    #expect(throws: ModelFileError.unsupportedDType(file: url.path, tensor: "w", dtype: "Q4")) { try SafetensorsFile(url: url) }

    try writeSafetensors([], headerOverride: #"{"w": {"dtype": "F32", "shape": [4]}}"#, to: url)
    #expect(throws: ModelFileError.invalidTensorEntry(file: url.path, tensor: "w", detail: "needs dtype, shape and data_offsets")) {
        try SafetensorsFile(url: url)
    }

    let missing = directory.appendingPathComponent("absent.safetensors")
    #expect(throws: ModelFileError.cannotOpen(file: missing.path, reason: "open: No such file or directory")) { try SafetensorsFile(url: missing) }
    #expect(ModelFileError.shapeMismatch(file: "f", tensor: "t", expected: [1], actual: [2]).localizedDescription
        == "f: tensor t has shape [2], expected [1]")
}

/// Issue 22: a shape whose product overflows used to trap in `elementCount` (SIGILL) while the header was parsed.
@Test func shapesThatOverflowAreErrorsNamingTheTensor() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("huge.safetensors")
    try writeSafetensors([], headerOverride: #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 0]}}"#,
                         to: url)
    #expect(throws: ModelFileError.invalidTensorEntry(file: url.path, tensor: "w",
                                                        detail: "shape [4294967296, 4294967296, 4294967296] has more values than any file can hold")) {
        try SafetensorsFile(url: url)
    }
    // 2^62 values of 4 bytes: the product fits, the byte count does not.
    try writeSafetensors([], headerOverride: #"{"w": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 0]}}"#, to: url)
    #expect(throws: ModelFileError.invalidTensorEntry(file: url.path, tensor: "w",
                                                        detail: "shape [4611686018427387904] has more values than any file can hold")) {
        try SafetensorsFile(url: url)
    }
    // Sizes past Int (2^64) or not whole are not sizes.
    try writeSafetensors([], headerOverride: #"{"w": {"dtype": "F32", "shape": [18446744073709551616], "data_offsets": [0, 0]}}"#, to: url)
    let error = #expect(throws: ModelFileError.self) { try SafetensorsFile(url: url) }
    #expect(error?.localizedDescription.contains("is not a list of sizes") == true)
}

/// A tensor name from the file is quoted short and escaped, however long or binary it is.
@Test func longBinaryTensorNamesAreQuotedShort() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let url = directory.appendingPathComponent("name.safetensors")
    let name = "\\u0001\\n" + String(repeating: "x", count: 100_000)
    try writeSafetensors([], headerOverride: #"{"\#(name)": {"dtype": "Q4", "shape": [4], "data_offsets": [0, 0]}}"#, to: url)
    let error = #expect(throws: ModelFileError.self) { try SafetensorsFile(url: url) }
    let message = try #require(error?.localizedDescription)
    #expect(message.count < url.path.count + 200, "\(message.prefix(300))")
    #expect(message.contains("tensor '\\u{1}\\nxxx"))
    #expect(message.contains("(100002 bytes in all)"))
}

@Test func readsTheRealMiniLMCheckpoint() throws {
    let directory = ModelCache.directory(of: ModelCache.model(named: "minilm")!)
    let checkpoint = try SafetensorsCheckpoint(directory: directory)
    #expect(checkpoint.tensorNames.count >= 100)
    let embeddings = try checkpoint.floats("embeddings.word_embeddings.weight", expectedShape: [30522, 384])
    #expect(embeddings.count == 30522 * 384)
    #expect(embeddings.allSatisfy { $0.isFinite })
    let config = try SentenceTransformersConfig(directory: directory)
    #expect(config.maxSequenceLength == 256)
    #expect(config.pooling == .mean && config.normalize)
    #expect(config.bert.hiddenSize == 384 && config.bert.layerCount == 6 && config.bert.headCount == 12)
}
