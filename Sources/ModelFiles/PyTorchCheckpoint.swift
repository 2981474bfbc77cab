// PyTorch checkpoints (`pytorch_model.bin`, torch >= 1.6): a zip archive of stored entries
//
//   <prefix>/data.pkl     the state dict, pickled (read by StateDictUnpickler, never executed)
//   <prefix>/data/<key>   one raw storage per key, little-endian, 64-byte aligned by torch
//   <prefix>/byteorder    "little" (absent in older files, which are little-endian)
//
// The file is memory-mapped and each tensor points into its storage: BF16, F16 and F32 weights are read in
// place, never converted or copied. Sharded checkpoints list their files in `pytorch_model.bin.index.json`.
import Foundation
import Kernels

public final class PyTorchFile: @unchecked Sendable {
    public let url: URL
    /// Tensors in the pickle's order.
    public let tensors: [PyTorchTensorInfo]
    private let index: [String: Int]
    /// Absolute file offset and byte size of each storage.
    private let storages: [String: (offset: Int, size: Int)]
    private let mapping: MappedFile

    public init(url: URL) throws(ModelFileError) {
        self.url = url
        let path = url.path
        mapping = try MappedFile(url: url)
        let archive = try ZipArchive(bytes: mapping.bytes, file: path)
        let pickles = archive.entries.keys.filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }
        guard pickles.count == 1, let pickle = pickles.first else {
            throw .missingEntry(file: path, entry: pickles.isEmpty ? "<prefix>/data.pkl" : "a single data.pkl (found \(pickles.sorted()))")
        }
        let prefix = String(pickle.dropLast("data.pkl".count))
        if archive.entries[prefix + "byteorder"] != nil {
            let order = String(decoding: try archive.storedEntry(prefix + "byteorder", in: mapping.bytes), as: UTF8.self)
            guard order == "little" else {
                throw .unsupportedTensor(file: path, tensor: "(all)", reason: "byte order \(order); only little-endian is read")
            }
        }
        tensors = try StateDictUnpickler.tensors(in: try archive.storedEntry(pickle, in: mapping.bytes), file: path + ":" + pickle)
        var storages: [String: (Int, Int)] = [:]
        for tensor in tensors where storages[tensor.storageKey] == nil {
            let name = prefix + "data/" + tensor.storageKey
            let bytes = try archive.storedEntry(name, in: mapping.bytes)
            storages[tensor.storageKey] = (bytes.baseAddress! - mapping.bytes.baseAddress!, bytes.count)
        }
        self.storages = storages
        var index: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() {
            let size = storages[tensor.storageKey]!.1
            let end = (tensor.storageOffset + tensor.elementCount) * tensor.dtype.byteSize
            // Views with other strides are refused when read, so only contiguous extents are checked here.
            guard !tensor.isContiguous || tensor.elementCount == 0 || end <= size else {
                throw .unsupportedTensor(file: path, tensor: tensor.name,
                                         reason: "elements up to byte \(end) lie past its storage \(tensor.storageKey) of \(size) bytes")
            }
            index[tensor.name] = i
        }
        self.index = index
    }

    public var tensorNames: [String] { tensors.map(\.name) }

    public func info(_ name: String) throws(ModelFileError) -> PyTorchTensorInfo {
        guard let i = index[name] else { throw .missingTensor(file: url.path, tensor: name) }
        return tensors[i]
    }

    /// The first byte of a contiguous tensor, checked to have `expectedShape`.
    func data(_ name: String, expectedShape: [Int]) throws(ModelFileError) -> (PyTorchTensorInfo, UnsafeRawPointer) {
        let tensor = try info(name)
        guard tensor.shape == expectedShape else {
            throw .shapeMismatch(file: url.path, tensor: name, expected: expectedShape, actual: tensor.shape)
        }
        guard tensor.isContiguous else {
            throw .unsupportedTensor(file: url.path, tensor: name,
                                     reason: "strides \(tensor.strides) for shape \(tensor.shape) are not row-major; save it .contiguous()")
        }
        let storage = storages[tensor.storageKey]!
        return (tensor, mapping.bytes.baseAddress! + storage.offset + tensor.storageOffset * tensor.dtype.byteSize)
    }

    /// A 2-D weight read in place (rows are outputs, as `nn.Linear` stores them).
    public func matrix(_ name: String, rows: Int, columns: Int) throws(ModelFileError) -> WeightMatrix {
        try view(name, shape: [rows, columns], rows: rows, columns: columns)
    }

    /// The tensor's values as f32, row-major.
    public func floats(_ name: String, expectedShape: [Int]) throws(ModelFileError) -> [Float] {
        let count = expectedShape.reduce(1, *)
        guard count > 0 else { _ = try data(name, expectedShape: expectedShape); return [] }
        return try view(name, shape: expectedShape, rows: 1, columns: count).dequantized()
    }

    private func view(_ name: String, shape: [Int], rows: Int, columns: Int) throws(ModelFileError) -> WeightMatrix {
        let (tensor, pointer) = try data(name, expectedShape: shape)
        return WeightMatrix(type: tensor.dtype.tensorType, rows: rows, columns: columns, data: pointer)
    }
}

/// A checkpoint directory: `pytorch_model.bin`, or shards listed in `pytorch_model.bin.index.json`.
public final class PyTorchCheckpoint: @unchecked Sendable {
    public let directory: URL
    public let files: [String: PyTorchFile]
    private let fileOfTensor: [String: String]

    public static let singleFileName = "pytorch_model.bin"
    public static let indexFileName = "pytorch_model.bin.index.json"

    /// True when `directory` holds a PyTorch checkpoint (single file or index).
    public static func exists(in directory: URL) -> Bool {
        [singleFileName, indexFileName].contains { FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }
    }

    /// Opens the checkpoint in `directory`; a path to a `.bin` file opens that file alone.
    public init(directory: URL) throws(ModelFileError) {
        var isDirectory: ObjCBool = false
        let fm = FileManager.default
        if fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            let file = try PyTorchFile(url: directory)
            self.directory = directory.deletingLastPathComponent()
            files = [directory.lastPathComponent: file]
            fileOfTensor = Dictionary(file.tensorNames.map { ($0, directory.lastPathComponent) }, uniquingKeysWith: { a, _ in a })
            return
        }
        self.directory = directory
        let index = directory.appendingPathComponent(Self.indexFileName)
        let single = directory.appendingPathComponent(Self.singleFileName)
        if fm.fileExists(atPath: index.path) {
            let weightMap = try Self.readWeightMap(index)
            var opened: [String: PyTorchFile] = [:]
            for fileName in Set(weightMap.values).sorted() {
                opened[fileName] = try PyTorchFile(url: directory.appendingPathComponent(fileName))
            }
            for (tensor, fileName) in weightMap where (try? opened[fileName]?.info(tensor)) == nil {
                throw .missingTensor(file: directory.appendingPathComponent(fileName).path, tensor: tensor)
            }
            files = opened
            fileOfTensor = weightMap
        } else if fm.fileExists(atPath: single.path) {
            let file = try PyTorchFile(url: single)
            files = [Self.singleFileName: file]
            fileOfTensor = Dictionary(file.tensorNames.map { ($0, Self.singleFileName) }, uniquingKeysWith: { a, _ in a })
        } else {
            throw .noWeights(directory: directory.path, expected: "\(Self.singleFileName) or \(Self.indexFileName)")
        }
    }

    public var tensorNames: [String] { fileOfTensor.keys.sorted() }

    public func contains(_ name: String) -> Bool { fileOfTensor[name] != nil }

    public func file(holding name: String) throws(ModelFileError) -> PyTorchFile {
        guard let fileName = fileOfTensor[name], let file = files[fileName] else {
            let location = files.count == 1 ? files.values.first!.url.path : directory.path
            throw .missingTensor(file: location, tensor: name)
        }
        return file
    }

    public func matrix(_ name: String, rows: Int, columns: Int) throws(ModelFileError) -> WeightMatrix {
        try file(holding: name).matrix(name, rows: rows, columns: columns)
    }

    public func floats(_ name: String, expectedShape: [Int]) throws(ModelFileError) -> [Float] {
        try file(holding: name).floats(name, expectedShape: expectedShape)
    }

    private static func readWeightMap(_ index: URL) throws(ModelFileError) -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: index) } catch { throw .cannotOpen(file: index.path, reason: error.localizedDescription) }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw .invalidIndex(file: index.path, detail: "not a JSON object with a \"weight_map\" object")
        }
        var weightMap: [String: String] = [:]
        for (tensor, value) in map {
            guard let fileName = value as? String, !fileName.contains("/"), !fileName.isEmpty else {
                throw .invalidIndex(file: index.path, detail: "weight_map[\"\(tensor)\"] is not a file name in the directory")
            }
            weightMap[tensor] = fileName
        }
        return weightMap
    }
}
