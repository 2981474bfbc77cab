// Everything that can be wrong with a safetensors file or checkpoint, each naming the file and tensor (quoted
// short and escaped: the name comes from the file).
import Foundation

public enum SafetensorsError: LocalizedError, Equatable {
    case cannotOpen(file: String, reason: String)
    case truncatedHeader(file: String, fileSize: Int)
    case headerLengthTooLarge(file: String, headerLength: UInt64, fileSize: Int)
    case invalidHeaderJSON(file: String, detail: String)
    case invalidTensorEntry(name: String, file: String, detail: String)
    case unsupportedDType(name: String, file: String, dtype: String)
    case dataOutOfBounds(name: String, file: String, end: Int, dataLength: Int)
    case sizeMismatch(name: String, file: String, offset: Int, expectedBytes: Int, actualBytes: Int)
    case shapeMismatch(name: String, file: String, expected: [Int], actual: [Int])
    case missingTensor(name: String, file: String)
    case noWeights(directory: String)
    case invalidIndex(file: String, detail: String)

    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(file, reason):
            "cannot open \(file): \(reason)"
        case let .truncatedHeader(file, fileSize):
            "\(file): \(fileSize) bytes is too short for a safetensors header (needs at least 8)"
        case let .headerLengthTooLarge(file, headerLength, fileSize):
            "\(file): header length \(headerLength) at offset 0 exceeds the file size \(fileSize)"
        case let .invalidHeaderJSON(file, detail):
            "\(file): the JSON header at offset 8 is invalid: \(detail)"
        case let .invalidTensorEntry(name, file, detail):
            "\(file): tensor '\(FileText.quoted(name))': \(detail)"
        case let .unsupportedDType(name, file, dtype):
            "\(file): tensor '\(FileText.quoted(name))' has dtype \(FileText.quoted(dtype)); only F32, F16 and BF16 convert to f32"
        case let .dataOutOfBounds(name, file, end, dataLength):
            "\(file): tensor '\(FileText.quoted(name))' ends at data offset \(end), past the data section (\(dataLength) bytes)"
        case let .sizeMismatch(name, file, offset, expectedBytes, actualBytes):
            "\(file): tensor '\(FileText.quoted(name))' at data offset \(offset) spans \(actualBytes) bytes; its dtype and shape need \(expectedBytes)"
        case let .shapeMismatch(name, file, expected, actual):
            "\(file): tensor '\(FileText.quoted(name))' has shape \(actual), expected \(expected)"
        case let .missingTensor(name, file):
            "\(file): no tensor named '\(FileText.quoted(name))'"
        case let .noWeights(directory):
            "\(directory): no model.safetensors or model.safetensors.index.json"
        case let .invalidIndex(file, detail):
            "\(file): \(detail)"
        }
    }
}
