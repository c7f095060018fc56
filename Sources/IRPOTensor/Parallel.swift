import Atomics
import Dispatch
import Foundation

/// Deterministic parallel loops over index ranges.
///
/// `forEachChunk` splits `0..<count` into contiguous chunks by a fixed rule that depends only on
/// `count`, `minimumChunk` and `threadCount`, so a kernel whose chunks write disjoint outputs
/// gives bit-identical results run to run for a given thread count. (The kernels in this module
/// go further: their results do not depend on the thread count at all.)
public enum Parallel {
    /// Unchecked Sendable: `threadCount` is read and written only while holding `lock`.
    private final class Settings: @unchecked Sendable {
        let lock = NSLock()
        var threadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    private static let settings = Settings()

    /// Number of workers `forEachChunk` uses on the calling thread: the count set by an
    /// enclosing `withThreadCount` on this thread if any, else the process-wide setting (default:
    /// the active processor count). Setting it changes the process-wide value. Must be >= 1.
    public static var threadCount: Int {
        get {
            if let override = pthread_getspecific(threadOverrideKey) { return Int(bitPattern: override) }
            return settings.lock.withLock { settings.threadCount }
        }
        set {
            precondition(newValue >= 1, "Parallel.threadCount must be at least 1")
            settings.lock.withLock { settings.threadCount = newValue }
        }
    }

    /// Per-thread override of `threadCount` (a count stored as a pointer bit pattern; nil: none).
    private static let threadOverrideKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key, nil)
        precondition(status == 0, "pthread_key_create failed (\(status)): the process is out of thread-local keys")
        return key
    }()

    /// Runs `body` with `threadCount` reading `count` on the calling thread only (other threads
    /// keep theirs), so work that already runs on several threads at once (one shard of a batch
    /// per thread) can keep each shard's kernels to its share of the cores. Nests; the previous
    /// value is restored when `body` returns.
    public static func withThreadCount<Result>(_ count: Int, _ body: () throws -> Result) rethrows -> Result {
        precondition(count >= 1, "Parallel.withThreadCount needs a count of at least 1")
        let previous = pthread_getspecific(threadOverrideKey)
        pthread_setspecific(threadOverrideKey, UnsafeRawPointer(bitPattern: count))
        defer { pthread_setspecific(threadOverrideKey, previous) }
        return try body()
    }

    /// Whether the calling thread runs inside `withThreadCount` (for example one shard of a
    /// batch that other threads process at the same time). Code that would change process-wide
    /// settings such as the BLAS thread count must not do so then.
    public static var hasThreadCountOverride: Bool { pthread_getspecific(threadOverrideKey) != nil }

    /// The chunks `forEachChunk` would use, in order: at most `threadCount` contiguous ranges of
    /// at least `minimumChunk` indices (except when `count < minimumChunk`), sizes differing by
    /// at most one.
    public static func chunks(count: Int, minimumChunk: Int = 1, threads: Int? = nil) -> [Range<Int>] {
        precondition(count >= 0 && minimumChunk >= 1, "Parallel.chunks needs count >= 0 and minimumChunk >= 1")
        if count == 0 { return [] }
        let workers = max(1, min(threads ?? threadCount, count / minimumChunk))
        let base = count / workers
        let extra = count % workers
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(workers)
        var start = 0
        for index in 0..<workers {
            let size = base + (index < extra ? 1 : 0)
            ranges.append(start..<(start + size))
            start += size
        }
        return ranges
    }

    /// Calls `body` once per chunk of `0..<count` (see `chunks`), concurrently when there is
    /// more than one chunk. Returns when all chunks are done. `body` must only write to
    /// locations owned by its range.
    public static func forEachChunk(count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let ranges = chunks(count: count, minimumChunk: minimumChunk)
        if ranges.count <= 1 {
            if let only = ranges.first { body(only) }
            return
        }
        if spinningScopes.load(ordering: .relaxed) > 0, WorkerPool.shared.run(chunks: ranges.count, { body(ranges[$0]) }) {
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedBox(escapable)
            DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
                box.value(ranges[index])
            }
        }
    }

    private static let spinningScopes = ManagedAtomic<Int>(0)

    /// Runs `body` with `forEachChunk` handing its chunks to persistent workers that spin
    /// between calls (`WorkerPool`) instead of to Dispatch, which wakes a sleeping thread on
    /// almost every call: for loops of many small kernels back to back, such as decode steps.
    /// The chunks and so the results are the same; only the hand-off differs. While the workers
    /// spin they keep the cores busy, so use it around hot loops only.
    public static func withSpinningWorkers<Result>(_ body: () throws -> Result) rethrows -> Result {
        spinningScopes.wrappingIncrement(ordering: .relaxed)
        defer { spinningScopes.wrappingDecrement(ordering: .relaxed) }
        return try body()
    }

    /// Calls `body(i)` for every `i` in `0..<count` with indices grouped into chunks as in
    /// `forEachChunk`.
    public static func forEach(count: Int, minimumChunk: Int = 1, _ body: (Int) -> Void) {
        forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            for index in range { body(index) }
        }
    }
}

/// Carries a non-Sendable value (a closure that only writes disjoint memory) into
/// `concurrentPerform`: the parallel loops here and attention's per-head groups.
/// Unchecked Sendable: the boxed closure writes only the memory of its own chunk or head group.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
