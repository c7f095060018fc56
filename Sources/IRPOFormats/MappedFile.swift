import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file. Unmapped when released.
///
/// An empty file has a zero-length buffer and no mapping.
/// Unchecked Sendable: a read-only mapping, immutable after init and unmapped only in deinit.
final class MappedFile: @unchecked Sendable {
    /// The file that is mapped.
    let url: URL
    /// The mapped bytes (read-only; valid for the lifetime of this object).
    let bytes: UnsafeRawBufferPointer

    /// Maps `url` read-only; throws a `FormatError` naming the file when it cannot be opened or mapped.
    init(url: URL) throws {
        self.url = url
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw FormatError(url: url, "cannot open file (\(reason)); check that the path exists and is readable")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            throw FormatError(url: url, "cannot stat file (\(reason)); check that the path is a regular file")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw FormatError(url: url, "is not a regular file; pass the path of a file, not a directory")
        }
        let size = Int(status.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0),
              address != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            throw FormatError(url: url, "cannot memory-map file of \(size) bytes (\(reason)); check free address space")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    /// Number of bytes in the file.
    var count: Int { bytes.count }
}
