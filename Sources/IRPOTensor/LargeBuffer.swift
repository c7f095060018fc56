#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed float storage for large, long-lived buffers that kernels stream through (KV caches):
/// from 2 MiB up aligned to 2 MiB and, on Linux, marked for transparent huge pages, so streaming
/// many small blocks does not miss the TLB on every 4 KiB page.
public enum LargeBuffer {
    private static let hugePage = 2 << 20

    /// `count` zeroed floats (64-byte aligned at least); release them with `deallocate(_:)`.
    public static func allocate(count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        let alignment = bytes >= hugePage ? hugePage : 64
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, bytes) == 0, let raw else {
            preconditionFailure("LargeBuffer: out of memory allocating \(bytes) bytes")
        }
        #if os(Linux)
        if alignment == hugePage { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
        #endif
        let floats = raw.bindMemory(to: Float.self, capacity: max(1, count))
        floats.initialize(repeating: 0, count: max(1, count))
        return floats
    }

    /// Releases storage from `allocate(count:)`.
    public static func deallocate(_ pointer: UnsafeMutablePointer<Float>) {
        free(pointer)
    }
}
