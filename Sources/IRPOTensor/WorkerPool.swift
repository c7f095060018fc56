import Atomics
import Foundation

/// Persistent worker threads that wait for work by spinning for a short while before they
/// sleep, for loops that dispatch many small parallel kernels back to back (a decode step runs
/// about ten per layer). Handing a chunk to a spinning worker takes well under a microsecond;
/// Dispatch's `concurrentPerform` wakes a sleeping thread through the kernel on almost every
/// call when the calls are a few microseconds apart.
///
/// Used by `Parallel.forEachChunk` inside `Parallel.withSpinningWorkers`. One job runs at a
/// time: a call made while the pool is busy (another thread, or a nested loop) returns `false`
/// and the caller runs its chunks another way. Chunk `i` of a job always runs on worker `i`
/// (the calling thread runs chunk 0), and which thread runs a chunk never changes its result.
/// Unchecked Sendable: a job is handed over through atomics and `lock`, and each chunk is run by exactly one worker.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Spins (atomic loads, with a yield every `yieldEvery`) before a waiting worker sleeps:
    /// a few hundred microseconds, longer than the gaps inside a decode step.
    private static let spinLimit = 200_000
    /// Spins between yields of a waiting thread. Rare on purpose: while any other process is
    /// runnable, even one at the lowest priority, each `sched_yield` hands it the core for a
    /// time slice, and a decode step waits on its slowest worker; yielding every 64 spins made
    /// decoding three times slower next to two idle-priority busy loops.
    private static let yieldEvery = 4096

    private let lock = NSCondition()
    private var workers = 0
    private let generation = ManagedAtomic<Int>(0)
    private let unfinished = ManagedAtomic<Int>(0)
    private let sleepers = ManagedAtomic<Int>(0)
    private let busy = ManagedAtomic<Bool>(false)
    /// The current job (written before `generation` is bumped, read after it is seen).
    private var body: ((Int) -> Void)?
    private var chunkCount = 0

    /// Runs `body(i)` for `i` in `0..<chunks`, chunk 0 on the calling thread and chunk `i` on
    /// worker `i`, and returns when all are done; `false` (nothing run) when the pool is busy.
    func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
        guard chunks > 1 else {
            if chunks == 1 { body(0) }
            return true
        }
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        ensureWorkers(chunks - 1)
        withoutActuallyEscaping(body) { escapable in
            self.body = escapable
            chunkCount = chunks
            unfinished.store(workers, ordering: .relaxed)
            generation.wrappingIncrement(ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                lock.lock()
                lock.broadcast()
                lock.unlock()
            }
            escapable(0)
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins &+= 1
                if spins % Self.yieldEvery == 0 { sched_yield() }
            }
            self.body = nil
        }
        return true
    }

    /// Starts workers until there are at least `count` (called by the job's owner only).
    private func ensureWorkers(_ count: Int) {
        while workers < count {
            workers += 1
            let index = workers
            let seen = generation.load(ordering: .acquiring)
            let thread = Thread { [unowned self] in self.work(index: index, seen: seen) }
            thread.name = "irpo-worker-\(index)"
            thread.start()
        }
    }

    private func work(index: Int, seen start: Int) {
        var seen = start
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins &+= 1
                if spins % Self.yieldEvery == 0 { sched_yield() }
                if spins >= Self.spinLimit {
                    lock.lock()
                    sleepers.wrappingIncrement(ordering: .sequentiallyConsistent)
                    while generation.load(ordering: .sequentiallyConsistent) == seen { lock.wait() }
                    sleepers.wrappingDecrement(ordering: .sequentiallyConsistent)
                    lock.unlock()
                    spins = 0
                }
            }
            seen = generation.load(ordering: .acquiring)
            if index < chunkCount, let body { body(index) }
            unfinished.wrappingDecrement(ordering: .releasing)
        }
    }
}
