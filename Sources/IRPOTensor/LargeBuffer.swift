#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zeroed float storage for large, long-lived buffers that kernels stream through (KV caches).
///
/// From 2 MiB up on Linux the memory comes straight from the kernel (`mmap`), already zero, so
/// a page takes physical memory only once something is written to it: a KV cache sized for the
/// longest sample costs only the positions samples really reach. Smaller buffers come from
/// `posix_memalign` and are zeroed.
public enum LargeBuffer {
    private static let mappedThreshold = 2 << 20

    /// `count` zeroed floats (64-byte aligned at least); release them with `deallocate(_:count:)`.
    public static func allocate(count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        #if os(Linux)
        if bytes >= mappedThreshold {
            let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let mapped, mapped != MAP_FAILED else {
                preconditionFailure("LargeBuffer: out of memory mapping \(bytes) bytes")
            }
            return mapped.bindMemory(to: Float.self, capacity: max(1, count))
        }
        #endif
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            preconditionFailure("LargeBuffer: out of memory allocating \(bytes) bytes")
        }
        let floats = raw.bindMemory(to: Float.self, capacity: max(1, count))
        floats.initialize(repeating: 0, count: max(1, count))
        return floats
    }

    /// Releases storage from `allocate(count:)` (with the same `count`).
    public static func deallocate(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        let bytes = max(1, count) * MemoryLayout<Float>.stride
        #if os(Linux)
        if bytes >= mappedThreshold {
            _ = munmap(pointer, bytes)
            return
        }
        #endif
        free(pointer)
    }
}
