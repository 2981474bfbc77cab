// The central directory of a zip archive over mapped bytes: entry names and where each stored (uncompressed)
// entry's data lies, so PyTorch storages are read in place. Zip64 is handled (a 5 GB checkpoint needs it).
//
//   local header  "PK\3\4" ... u16 name length @26, u16 extra length @28, name, extra, data
//   central entry "PK\1\2" ... u16 method @10, u32 sizes @20/@24, u16 name/extra/comment lengths @28/@30/@32,
//                  u32 local header offset @42, name, extra (zip64: id 1 holds the 0xFFFFFFFF fields as u64)
//   end record    "PK\5\6" ... u16 entries @10, u32 directory size @12, u32 directory offset @16
//   zip64 end     "PK\6\6" ... u64 entries @32, u64 directory offset @48 (found through the "PK\6\7" locator)
import Foundation

public struct ZipEntry: Sendable, Equatable {
    public let name: String
    /// 0 = stored; anything else is compressed.
    public let method: Int
    public let size: Int
    /// Absolute offset of the entry's first data byte.
    public let dataOffset: Int
}

public struct ZipArchive: Sendable {
    public let file: String
    /// Entries by name.
    public let entries: [String: ZipEntry]

    public init(bytes: UnsafeRawBufferPointer, file: String) throws(ModelFileError) {
        self.file = file
        let reader = ZipReader(bytes: bytes, file: file)
        let end = try reader.findEndRecord()
        var count = Int(try reader.u16(end + 10))
        var directory = Int(try reader.u32(end + 16))
        let locator = end - 20
        if locator >= 0, try reader.u32(locator) == 0x0706_4B50 {
            let zip64End = Int(clamping: try reader.u64(locator + 8))
            guard try reader.u32(zip64End) == 0x0606_4B50 else {
                throw .invalidZip(file: file, offset: zip64End, reason: "no zip64 end record where the locator points")
            }
            count = Int(clamping: try reader.u64(zip64End + 32))
            directory = Int(clamping: try reader.u64(zip64End + 48))
        }
        var entries: [String: ZipEntry] = [:]
        var at = directory
        for _ in 0..<count {
            guard try reader.u32(at) == 0x0201_4B50 else {
                throw .invalidZip(file: file, offset: at, reason: "expected a central directory entry")
            }
            let method = Int(try reader.u16(at + 10))
            var compressed = Int(try reader.u32(at + 20))
            var size = Int(try reader.u32(at + 24))
            let nameLength = Int(try reader.u16(at + 28))
            let extraLength = Int(try reader.u16(at + 30))
            let commentLength = Int(try reader.u16(at + 32))
            var local = Int(try reader.u32(at + 42))
            let name = String(decoding: try reader.slice(at + 46, nameLength), as: UTF8.self)
            // Zip64 extra field: the u64 values of the fields that hold 0xFFFFFFFF, in this order.
            var extra = at + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let id = try reader.u16(extra), length = Int(try reader.u16(extra + 2))
                if id == 1 {
                    var field = extra + 4
                    if size == 0xFFFF_FFFF { size = Int(clamping: try reader.u64(field)); field += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = Int(clamping: try reader.u64(field)); field += 8 }
                    if local == 0xFFFF_FFFF { local = Int(clamping: try reader.u64(field)) }
                }
                extra += 4 + length
            }
            guard try reader.u32(local) == 0x0403_4B50 else {
                throw .invalidZip(file: file, offset: local, reason: "no local header for \(name)")
            }
            let dataOffset = local + 30 + Int(try reader.u16(local + 26)) + Int(try reader.u16(local + 28))
            guard method != 0 || compressed == size else {
                throw .invalidZip(file: file, offset: at, reason: "stored entry \(name) has sizes \(compressed) and \(size)")
            }
            guard dataOffset <= bytes.count, compressed <= bytes.count - dataOffset else {
                throw .invalidZip(file: file, offset: local, reason: "entry \(name) runs past the end of the file")
            }
            entries[name] = ZipEntry(name: name, method: method, size: size, dataOffset: dataOffset)
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    /// A stored entry's bytes, in place.
    public func storedEntry(_ name: String, in bytes: UnsafeRawBufferPointer) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard let entry = entries[name] else { throw .missingEntry(file: file, entry: name) }
        guard entry.method == 0 else { throw .compressedEntry(file: file, entry: name, method: entry.method) }
        return UnsafeRawBufferPointer(rebasing: bytes[entry.dataOffset..<entry.dataOffset + entry.size])
    }
}

/// Bounds-checked little-endian reads at absolute offsets.
private struct ZipReader {
    let bytes: UnsafeRawBufferPointer
    let file: String

    func slice(_ offset: Int, _ count: Int) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard offset >= 0, count >= 0, offset <= bytes.count, count <= bytes.count - offset else {
            throw .invalidZip(file: file, offset: offset, reason: "\(count) bytes needed past the end of the file (\(bytes.count) bytes)")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    func u16(_ offset: Int) throws(ModelFileError) -> UInt16 { UInt16(littleEndian: try slice(offset, 2).loadUnaligned(as: UInt16.self)) }
    func u32(_ offset: Int) throws(ModelFileError) -> UInt32 { UInt32(littleEndian: try slice(offset, 4).loadUnaligned(as: UInt32.self)) }
    func u64(_ offset: Int) throws(ModelFileError) -> UInt64 { UInt64(littleEndian: try slice(offset, 8).loadUnaligned(as: UInt64.self)) }

    /// The end-of-central-directory record: the last "PK\5\6" within the final 64 KiB + 22 bytes.
    func findEndRecord() throws(ModelFileError) -> Int {
        guard bytes.count >= 22 else { throw .notZip(file: file, reason: "\(bytes.count) bytes is too short for a zip archive") }
        var at = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while at >= lowest {
            if try u32(at) == 0x0605_4B50 { return at }
            at -= 1
        }
        throw .notZip(file: file, reason: "no end-of-central-directory record")
    }
}
