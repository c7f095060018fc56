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

    func testThreadCountRoundTrips() {
        withThreads(5) { XCTAssertEqual(Parallel.threadCount, 5) }
    }
}
