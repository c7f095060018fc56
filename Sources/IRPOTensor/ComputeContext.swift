import Foundation

/// The threads one command computes with: the kernels' workers (`Parallel.threadCount`) and
/// OpenBLAS's threads (`GEMM.threadCount`).
///
/// A command makes one context, from `--threads` or its run config's `threads`, and applies it
/// once before any work; library code never sets the two process-wide counts itself. Code that
/// needs fewer threads for a while (one shard of a batch per worker, attention heads on
/// single-threaded BLAS) uses the scoped `Parallel.withThreadCount` and `GEMM.withThreadCount`,
/// which restore what they found. Results do not depend on the thread count: only speed does.
public struct ComputeContext: Sendable, Equatable {
    /// Threads for the kernels and for BLAS; nil keeps the defaults (all cores for the kernels,
    /// OpenBLAS's own choice for BLAS, which honours `OPENBLAS_NUM_THREADS`).
    public let threads: Int?

    /// A context with `threads` threads (nil: the defaults); `threads` must be at least 1.
    public init(threads: Int?) {
        precondition(threads.map { $0 >= 1 } ?? true, "ComputeContext needs at least one thread")
        self.threads = threads
    }

    /// Makes this context the process's: sets `Parallel.threadCount` and `GEMM.threadCount` (when
    /// `threads` is set). Call it once, at the start of a command.
    public func apply() {
        guard let threads else { return }
        Parallel.threadCount = threads
        GEMM.threadCount = threads
    }
}
