import Foundation
import XCTest
import IRPOTensor

final class ParallelTests: KernelTestCase {
    func testChunksPartitionTheRangeContiguously() {
        for count in [0, 1, 7, 100, 1001] {
            for threads in [1, 2, 3, 8] {
                for minimumChunk in [1, 10, 5000] {
                    let ranges = Parallel.chunks(count: count, minimumChunk: minimumChunk, threads: threads)
                    var next = 0
                    for range in ranges {
                        XCTAssertEqual(range.lowerBound, next)
                        XCTAssertFalse(range.isEmpty)
                        next = range.upperBound
                    }
                    XCTAssertEqual(next, count)
                    XCTAssertLessThanOrEqual(ranges.count, threads)
                    if ranges.count > 1 {
                        XCTAssertTrue(ranges.allSatisfy { $0.count >= minimumChunk })
                        let sizes = ranges.map(\.count)
                        XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
                    }
                }
            }
        }
    }

    func testChunksAreAFixedFunctionOfTheInputs() {
        XCTAssertEqual(Parallel.chunks(count: 10, minimumChunk: 1, threads: 3), [0..<4, 4..<7, 7..<10])
        XCTAssertEqual(Parallel.chunks(count: 10, minimumChunk: 6, threads: 3), [0..<10])
    }

    func testForEachChunkVisitsEveryIndexOnce() {
        withThreads(3) {
            let count = 1000
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0, count: count)
            defer { hits.deallocate() }
            Parallel.forEachChunk(count: count) { range in
                for i in range { hits[i] += 1 }
            }
            XCTAssertTrue((0..<count).allSatisfy { hits[$0] == 1 })
            Parallel.forEach(count: count, minimumChunk: 10) { i in hits[i] += 2 }
            XCTAssertTrue((0..<count).allSatisfy { hits[$0] == 3 })
        }
    }

    /// Inside `withSpinningWorkers` the chunks are the same and each runs once, also for loops
    /// nested in a chunk and for loops started from several threads at once (the pool runs one
    /// job at a time; the others take Dispatch).
    func testSpinningWorkersRunEveryChunkOnce() {
        withThreads(3) {
            Parallel.withSpinningWorkers {
                let count = 600
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: count)
                hits.initialize(repeating: 0, count: count)
                defer { hits.deallocate() }
                for _ in 0..<200 {
                    Parallel.forEachChunk(count: count) { range in
                        for i in range { hits[i] += 1 }
                    }
                }
                XCTAssertTrue((0..<count).allSatisfy { hits[$0] == 200 })
                // Nested: every chunk runs its own parallel loop over a disjoint part.
                let width = 50
                let nested = UnsafeMutablePointer<Int>.allocate(capacity: 12 * width)
                nested.initialize(repeating: 0, count: 12 * width)
                defer { nested.deallocate() }
                Parallel.forEach(count: 12) { outer in
                    Parallel.forEach(count: width) { inner in nested[outer * width + inner] += outer + 1 }
                }
                XCTAssertTrue((0..<(12 * width)).allSatisfy { nested[$0] == $0 / width + 1 })
                // Concurrent callers.
                let lanes = 4, perLane = 300
                let shared = UnsafeMutablePointer<Int>.allocate(capacity: lanes * perLane)
                shared.initialize(repeating: 0, count: lanes * perLane)
                defer { shared.deallocate() }
                let base = SendablePointer(shared)
                DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                    for _ in 0..<50 {
                        Parallel.forEachChunk(count: perLane) { range in
                            for i in range { base.pointer[lane * perLane + i] += 1 }
                        }
                    }
                }
                XCTAssertTrue((0..<(lanes * perLane)).allSatisfy { shared[$0] == 50 })
            }
        }
    }

    func testThreadCountRoundTrips() {
        withThreads(5) { XCTAssertEqual(Parallel.threadCount, 5) }
    }

    func testWithThreadCountAppliesToTheCallingThreadOnlyAndNests() {
        withThreads(4) {
            Parallel.withThreadCount(1) {
                XCTAssertEqual(Parallel.threadCount, 1)
                XCTAssertEqual(Parallel.chunks(count: 100).count, 1)
                // Another thread keeps the process-wide count.
                // Another thread keeps the process-wide count (a new Thread: `DispatchQueue.sync`
                // may run its block on this one).
                final class Seen: @unchecked Sendable { var value = 0 }
                let seen = Seen(), done = DispatchSemaphore(value: 0)
                Thread { seen.value = Parallel.threadCount; done.signal() }.start()
                done.wait()
                XCTAssertEqual(seen.value, 4)
                Parallel.withThreadCount(3) { XCTAssertEqual(Parallel.threadCount, 3) }
                XCTAssertEqual(Parallel.threadCount, 1)
                // forEachChunk runs the one chunk inline on this thread.
                var calls = 0
                Parallel.forEachChunk(count: 1000) { range in calls += 1; XCTAssertEqual(range, 0..<1000) }
                XCTAssertEqual(calls, 1)
            }
            XCTAssertEqual(Parallel.threadCount, 4)
            XCTAssertEqual(Parallel.chunks(count: 100).count, 4)
        }
    }
}
