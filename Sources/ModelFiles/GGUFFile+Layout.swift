// Where each tensor's bytes lie in a GGUF file, checked at load: an offset that is misaligned, outside the
// data section or inside another tensor would otherwise load and be read as wrong weights.
import Kernels

extension GGUFFile {
    /// A tensor as its info record gives it, before its place in the data section is checked.
    struct TensorEntry {
        let name: String
        let shape: [Int]
        let typeID: UInt32
        /// Offset from the start of the data section, as the file states it.
        let relative: UInt64
        /// Where the info record starts, for errors.
        let at: Int
    }

    /// The tensors with absolute offsets, each checked to start on the alignment, to fit in the data section
    /// (size from its type and shape, every product checked for overflow) and to overlap no other tensor.
    /// A type this engine does not read has no known size: its start is checked, and it is taken to hold one byte.
    static func placeTensors(_ entries: [TensorEntry], dataOffset: Int, alignment: Int, fileSize: Int,
                             file: String) throws(ModelFileError) -> [GGUFTensorInfo] {
        let dataLength = max(0, fileSize - dataOffset)
        var tensors: [GGUFTensorInfo] = []
        var spans: [(start: Int, end: Int, index: Int)] = []
        for entry in entries {
            let shown = FileText.quoted(entry.name)
            guard let elements = entry.shape.checkedProduct, elements < 1 << 50 else {
                throw .invalidGGUF(file: file, offset: entry.at, reason: "tensor \(shown) has \(entry.shape) values")
            }
            var bytes = 1
            if let type = TensorType(rawValue: entry.typeID) {
                guard entry.shape[0] % type.blockSize == 0 else {
                    throw .invalidGGUF(file: file, offset: entry.at,
                                   reason: "tensor \(shown): rows of \(entry.shape[0]) values do not fill \(type) blocks of \(type.blockSize)")
                }
                // Under 2^50 values of at most 4 bytes each: this product cannot overflow.
                bytes = elements / type.blockSize * type.blockBytes
            }
            guard entry.relative <= UInt64(dataLength), bytes <= dataLength - Int(entry.relative) else {
                throw .tensorOutOfBounds(file: file, tensor: entry.name, offset: Int(clamping: entry.relative), bytes: bytes,
                                         dataLength: dataLength)
            }
            let relative = Int(entry.relative)
            guard relative % alignment == 0 else {
                throw .misalignedTensor(file: file, tensor: entry.name, offset: relative, alignment: alignment)
            }
            spans.append((relative, relative + bytes, tensors.count))
            tensors.append(GGUFTensorInfo(name: entry.name, shape: entry.shape, typeID: entry.typeID,
                                          offset: dataOffset + relative, elementCount: elements))
        }
        spans.sort { ($0.start, $0.index) < ($1.start, $1.index) }
        for (before, after) in zip(spans, spans.dropFirst()) where after.start < before.end {
            throw .overlappingTensors(file: file, tensor: tensors[after.index].name, offset: after.start,
                                      other: tensors[before.index].name, otherEnd: before.end)
        }
        return tensors
    }
}
