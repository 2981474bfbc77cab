// Everything that can be wrong with a model file (GGUF, safetensors, PyTorch checkpoint, sentence-transformers
// config), each naming the file and where; names taken from a file are quoted short and escaped.
import Foundation
import Kernels

public enum ModelFileError: LocalizedError, Equatable, Sendable {
    // --- Any format ------------------------------------------------------------------------------
    case cannotOpen(file: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], actual: [Int])
    /// A sharded checkpoint's `*.index.json`.
    case invalidIndex(file: String, detail: String)
    /// `expected` names the files looked for, e.g. "model.safetensors or model.safetensors.index.json".
    case noWeights(directory: String, expected: String)

    // --- GGUF ------------------------------------------------------------------------------------
    case notGGUF(file: String, magic: String)
    case unsupportedVersion(file: String, version: UInt32)
    case truncated(file: String, offset: Int, needed: Int, reading: String)
    case invalidGGUF(file: String, offset: Int, reason: String)
    case missingKey(file: String, key: String)
    case wrongKeyType(file: String, key: String, expected: String, actual: String)
    case unsupportedTensorType(file: String, tensor: String, type: String)
    /// `offset` is relative to the data section, as the file states it.
    case tensorOutOfBounds(file: String, tensor: String, offset: Int, bytes: Int, dataLength: Int)
    case misalignedTensor(file: String, tensor: String, offset: Int, alignment: Int)
    case overlappingTensors(file: String, tensor: String, offset: Int, other: String, otherEnd: Int)

    // --- safetensors -----------------------------------------------------------------------------
    case truncatedHeader(file: String, fileSize: Int)
    case headerLengthTooLarge(file: String, headerLength: UInt64, fileSize: Int)
    case invalidHeaderJSON(file: String, detail: String)
    case invalidTensorEntry(file: String, tensor: String, detail: String)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case dataOutOfBounds(file: String, tensor: String, end: Int, dataLength: Int)
    case sizeMismatch(file: String, tensor: String, offset: Int, expectedBytes: Int, actualBytes: Int)

    // --- PyTorch checkpoint (zip archive, pickle, tensor) ----------------------------------------
    case notZip(file: String, reason: String)
    case invalidZip(file: String, offset: Int, reason: String)
    case compressedEntry(file: String, entry: String, method: Int)
    case missingEntry(file: String, entry: String)
    /// An opcode, global or construct the safe unpickler does not accept, at a byte offset of the pickle.
    case unsupportedPickle(file: String, offset: Int, reason: String)
    case invalidPickle(file: String, offset: Int, reason: String)
    case unsupportedTensor(file: String, tensor: String, reason: String)

    // --- sentence-transformers config ------------------------------------------------------------
    case missingFile(file: String)
    case invalidJSON(file: String, detail: String)
    case invalidValue(file: String, key: String, detail: String)
    case unsupportedModelType(file: String, modelType: String)

    public var errorDescription: String? {
        switch self {
        // --- Any format
        case let .cannotOpen(file, reason):
            "\(file): cannot open: \(reason)"
        case let .missingTensor(file, tensor):
            "\(file): no tensor named \(FileText.quoted(tensor))"
        case let .shapeMismatch(file, tensor, expected, actual):
            "\(file): tensor \(FileText.quoted(tensor)) has shape \(actual), expected \(expected)"
        case let .invalidIndex(file, detail):
            "\(file): \(detail)"
        case let .noWeights(directory, expected):
            "\(directory): no \(expected)"
        // --- GGUF
        case let .notGGUF(file, magic):
            "\(file): not a GGUF file (magic \(magic), expected GGUF)"
        case let .unsupportedVersion(file, version):
            "\(file): GGUF version \(version) is not supported (2 and 3 are)"
        case let .truncated(file, offset, needed, reading):
            "\(file): truncated at offset \(offset): \(needed) more bytes needed for \(reading)"
        case let .invalidGGUF(file, offset, reason):
            "\(file): invalid at offset \(offset): \(reason)"
        case let .missingKey(file, key):
            "\(file): metadata key \(key) is missing"
        case let .wrongKeyType(file, key, expected, actual):
            "\(file): metadata key \(key) is \(actual), expected \(expected)"
        case let .unsupportedTensorType(file, tensor, type):
            "\(file): tensor \(FileText.quoted(tensor)) has type \(type), which this engine does not read (it reads \(TensorType.allCases.map(\.description).joined(separator: ", ")))"
        case let .tensorOutOfBounds(file, tensor, offset, bytes, dataLength):
            "\(file): tensor \(FileText.quoted(tensor)) needs \(bytes) bytes at data offset \(offset), past the end of the data section (\(dataLength) bytes)"
        case let .misalignedTensor(file, tensor, offset, alignment):
            "\(file): tensor \(FileText.quoted(tensor)) starts at data offset \(offset), not a multiple of the alignment \(alignment)"
        case let .overlappingTensors(file, tensor, offset, other, otherEnd):
            "\(file): tensor \(FileText.quoted(tensor)) starts at data offset \(offset), inside tensor \(FileText.quoted(other)), which ends at \(otherEnd)"
        // --- safetensors
        case let .truncatedHeader(file, fileSize):
            "\(file): \(fileSize) bytes is too short for a safetensors header (needs at least 8)"
        case let .headerLengthTooLarge(file, headerLength, fileSize):
            "\(file): header length \(headerLength) at offset 0 exceeds the file size \(fileSize)"
        case let .invalidHeaderJSON(file, detail):
            "\(file): the JSON header at offset 8 is invalid: \(detail)"
        case let .invalidTensorEntry(file, tensor, detail):
            "\(file): tensor '\(FileText.quoted(tensor))': \(detail)"
        case let .unsupportedDType(file, tensor, dtype):
            "\(file): tensor '\(FileText.quoted(tensor))' has dtype \(FileText.quoted(dtype)); only F32, F16 and BF16 convert to f32"
        case let .dataOutOfBounds(file, tensor, end, dataLength):
            "\(file): tensor '\(FileText.quoted(tensor))' ends at data offset \(end), past the data section (\(dataLength) bytes)"
        case let .sizeMismatch(file, tensor, offset, expectedBytes, actualBytes):
            "\(file): tensor '\(FileText.quoted(tensor))' at data offset \(offset) spans \(actualBytes) bytes; its dtype and shape need \(expectedBytes)"
        // --- PyTorch checkpoint
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
        // --- sentence-transformers config
        case let .missingFile(file):
            "missing model file \(file)"
        case let .invalidJSON(file, detail):
            "\(file): invalid JSON: \(detail)"
        case let .invalidValue(file, key, detail):
            "\(file): \(key): \(detail)"
        case let .unsupportedModelType(file, modelType):
            "\(file): model_type '\(modelType)' is not an encoder this engine knows (only 'bert')"
        }
    }
}
