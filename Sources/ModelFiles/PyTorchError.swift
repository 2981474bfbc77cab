// Everything that can be wrong with a PyTorch checkpoint (zip archive, pickle, tensor), naming file and place.
import Foundation

public enum PyTorchError: LocalizedError, Equatable, Sendable {
    case cannotOpen(file: String, reason: String)
    case notZip(file: String, reason: String)
    case invalidZip(file: String, offset: Int, reason: String)
    case compressedEntry(file: String, entry: String, method: Int)
    case missingEntry(file: String, entry: String)
    /// An opcode, global or construct the safe unpickler does not accept, at a byte offset of the pickle.
    case unsupportedPickle(file: String, offset: Int, reason: String)
    case invalidPickle(file: String, offset: Int, reason: String)
    case unsupportedTensor(file: String, tensor: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], actual: [Int])
    case noWeights(directory: String)
    case invalidIndex(file: String, detail: String)

    public var errorDescription: String? {
        switch self {
        case let .cannotOpen(file, reason):
            "cannot open \(file): \(reason)"
        case let .notZip(file, reason):
            "\(file): not a PyTorch zip checkpoint (\(reason)); checkpoints from torch < 1.6 (legacy format) are not read"
        case let .invalidZip(file, offset, reason):
            "\(file): invalid zip archive at offset \(offset): \(reason)"
        case let .compressedEntry(file, entry, method):
            "\(file): entry \(entry) is compressed (method \(method)); only stored entries can be mapped in place"
        case let .missingEntry(file, entry):
            "\(file): the archive has no entry \(entry)"
        case let .unsupportedPickle(file, offset, reason):
            "\(file): the pickle is refused at offset \(offset): \(reason)"
        case let .invalidPickle(file, offset, reason):
            "\(file): invalid pickle at offset \(offset): \(reason)"
        case let .unsupportedTensor(file, tensor, reason):
            "\(file): tensor \(tensor): \(reason)"
        case let .missingTensor(file, tensor):
            "\(file): no tensor named \(tensor)"
        case let .shapeMismatch(file, tensor, expected, actual):
            "\(file): tensor \(tensor) has shape \(actual), expected \(expected)"
        case let .noWeights(directory):
            "\(directory): no pytorch_model.bin or pytorch_model.bin.index.json"
        case let .invalidIndex(file, detail):
            "\(file): \(detail)"
        }
    }
}
