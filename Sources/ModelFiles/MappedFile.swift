// A read-only memory map of a whole file: weights are read in place, never copied.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class MappedFile: @unchecked Sendable {
    public let url: URL
    public let bytes: UnsafeRawBufferPointer

    /// Maps `url`; an error (`cannotOpen`) says which system call failed and why.
    public init(url: URL) throws(ModelFileError) {
        self.url = url
        func failed(_ reason: String) -> ModelFileError { .cannotOpen(file: url.path, reason: reason) }
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw failed("open: " + String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failed("fstat: " + String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw failed("not a regular file") }
        let count = Int(info.st_size)
        if count == 0 {
            // mmap refuses empty maps; an empty file is an empty buffer.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let pointer = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), pointer != MAP_FAILED else {
            throw failed("mmap: " + String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: pointer, count: count)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    public var count: Int { bytes.count }

    /// Lets the kernel drop the pages wholly inside `range` (a part of this map) from memory: what reads
    /// them later gets them back from the file. For tensors whose values are kept elsewhere.
    public func releasePages(of range: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, let start = range.baseAddress, start >= base,
              start + range.count <= base + bytes.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page, end = (Int(bitPattern: start) + range.count) / page * page
        guard end > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, end - first, MADV_DONTNEED)
    }
}
