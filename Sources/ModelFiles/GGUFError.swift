// Everything that can be wrong with a GGUF file, each naming the file and where; names from the file are
// quoted short and escaped.
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
    /// `offset` is relative to the data section, as the file states it.
    case tensorOutOfBounds(file: String, tensor: String, offset: Int, bytes: Int, dataLength: Int)
    case misalignedTensor(file: String, tensor: String, offset: Int, alignment: Int)
    case overlappingTensors(file: String, tensor: String, offset: Int, other: String, otherEnd: Int)

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
            "\(file): tensor \(FileText.quoted(tensor)) is missing"
        case let .shapeMismatch(file, tensor, expected, actual):
            "\(file): tensor \(FileText.quoted(tensor)) has shape \(actual), expected \(expected)"
        case let .unsupportedTensorType(file, tensor, type):
            "\(file): tensor \(FileText.quoted(tensor)) has type \(type), which this engine does not read (it reads \(TensorType.allCases.map(\.description).joined(separator: ", ")))"
        case let .tensorOutOfBounds(file, tensor, offset, bytes, dataLength):
            "\(file): tensor \(FileText.quoted(tensor)) needs \(bytes) bytes at data offset \(offset), past the end of the data section (\(dataLength) bytes)"
        case let .misalignedTensor(file, tensor, offset, alignment):
            "\(file): tensor \(FileText.quoted(tensor)) starts at data offset \(offset), not a multiple of the alignment \(alignment)"
        case let .overlappingTensors(file, tensor, offset, other, otherEnd):
            "\(file): tensor \(FileText.quoted(tensor)) starts at data offset \(offset), inside tensor \(FileText.quoted(other)), which ends at \(otherEnd)"
        }
    }
}
