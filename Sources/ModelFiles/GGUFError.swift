// Everything that can be wrong with a GGUF file, each naming the file and where.
import Foundation
import Kernels

public enum GGUFError: LocalizedError, Equatable, Sendable {
    case cannotOpen(file: String, reason: String)
    case notGGUF(file: String, magic: String)
    case unsupportedVersion(file: String, version: UInt32)
    case truncated(file: String, offset: Int, needed: Int, reading: String)
    case invalid(file: String, offset: Int, reason: String)
    case missingKey(file: String, key: String)
    case wrongKeyType(file: String, key: String, expected: String, actual: String)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], actual: [Int])
    case unsupportedTensorType(file: String, tensor: String, type: String)
    case tensorOutOfBounds(file: String, tensor: String, offset: Int, bytes: Int, fileSize: Int)

    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(file, reason):
            "\(file): cannot open: \(reason)"
        case let .notGGUF(file, magic):
            "\(file): not a GGUF file (magic \(magic), expected GGUF)"
        case let .unsupportedVersion(file, version):
            "\(file): GGUF version \(version) is not supported (2 and 3 are)"
        case let .truncated(file, offset, needed, reading):
            "\(file): truncated at offset \(offset): \(needed) more bytes needed for \(reading)"
        case let .invalid(file, offset, reason):
            "\(file): invalid at offset \(offset): \(reason)"
        case let .missingKey(file, key):
            "\(file): metadata key \(key) is missing"
        case let .wrongKeyType(file, key, expected, actual):
            "\(file): metadata key \(key) is \(actual), expected \(expected)"
        case let .missingTensor(file, tensor):
            "\(file): tensor \(tensor) is missing"
        case let .shapeMismatch(file, tensor, expected, actual):
            "\(file): tensor \(tensor) has shape \(actual), expected \(expected)"
        case let .unsupportedTensorType(file, tensor, type):
            "\(file): tensor \(tensor) has type \(type), which this engine does not read (it reads \(TensorType.allCases.map(\.description).joined(separator: ", ")))"
        case let .tensorOutOfBounds(file, tensor, offset, bytes, fileSize):
            "\(file): tensor \(tensor) spans bytes \(offset)..<\(offset + bytes), past the end of the file (\(fileSize) bytes)"
        }
    }
}
