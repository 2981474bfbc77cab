// A checkpoint directory: one `model.safetensors`, or shards listed in `model.safetensors.index.json`.
import Foundation

public final class SafetensorsCheckpoint: @unchecked Sendable {
    public let directory: URL
    /// The open files, by file name.
    public let files: [String: SafetensorsFile]
    /// Which file holds each tensor.
    private let fileOfTensor: [String: String]

    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"

    /// Opens the checkpoint in `directory`; a path to a `.safetensors` file opens that file alone.
    public init(directory: URL) throws {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory)
        if exists, !isDirectory.boolValue {
            let file = try SafetensorsFile(url: directory)
            self.directory = directory.deletingLastPathComponent()
            files = [directory.lastPathComponent: file]
            fileOfTensor = Dictionary(uniqueKeysWithValues: file.tensors.keys.map { ($0, directory.lastPathComponent) })
            return
        }
        self.directory = directory
        let index = directory.appendingPathComponent(Self.indexFileName)
        let single = directory.appendingPathComponent(Self.singleFileName)
        if FileManager.default.fileExists(atPath: index.path) {
            let weightMap = try Self.readWeightMap(index)
            var opened: [String: SafetensorsFile] = [:]
            for fileName in Set(weightMap.values).sorted() {
                opened[fileName] = try SafetensorsFile(url: directory.appendingPathComponent(fileName))
            }
            for (tensor, fileName) in weightMap where opened[fileName]?.tensors[tensor] == nil {
                throw ModelFileError.missingTensor(file: directory.appendingPathComponent(fileName).path, tensor: tensor)
            }
            files = opened
            fileOfTensor = weightMap
        } else if FileManager.default.fileExists(atPath: single.path) {
            let file = try SafetensorsFile(url: single)
            files = [Self.singleFileName: file]
            fileOfTensor = Dictionary(uniqueKeysWithValues: file.tensors.keys.map { ($0, Self.singleFileName) })
        } else {
            throw ModelFileError.noWeights(directory: directory.path, expected: "\(Self.singleFileName) or \(Self.indexFileName)")
        }
    }

    public var tensorNames: [String] { fileOfTensor.keys.sorted() }

    public func contains(_ name: String) -> Bool { fileOfTensor[name] != nil }

    public func info(_ name: String) throws -> SafetensorsTensorInfo {
        try file(holding: name).info(name)
    }

    /// The tensor as f32 values, with its shape checked when `expectedShape` is given.
    public func floats(_ name: String, expectedShape: [Int]? = nil) throws -> [Float] {
        try file(holding: name).floats(name, expectedShape: expectedShape)
    }

    private func file(holding name: String) throws -> SafetensorsFile {
        guard let fileName = fileOfTensor[name], let file = files[fileName] else {
            let location = files.count == 1 ? files.values.first!.url.path : directory.path
            throw ModelFileError.missingTensor(file: location, tensor: name)
        }
        return file
    }

    private static func readWeightMap(_ index: URL) throws -> [String: String] {
        let data: Data
        do {
            data = try Data(contentsOf: index)
        } catch {
            throw ModelFileError.cannotOpen(file: index.path, reason: error.localizedDescription)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelFileError.invalidIndex(file: index.path, detail: "not a JSON object")
        }
        guard let map = object["weight_map"] as? [String: Any] else {
            throw ModelFileError.invalidIndex(file: index.path, detail: "no \"weight_map\" object")
        }
        var weightMap: [String: String] = [:]
        for (tensor, value) in map {
            guard let fileName = value as? String, !fileName.contains("/"), !fileName.isEmpty else {
                throw ModelFileError.invalidIndex(file: index.path, detail: "weight_map[\"\(tensor)\"] is not a file name in the directory")
            }
            weightMap[tensor] = fileName
        }
        return weightMap
    }
}
