import XCTest
@testable import IRPOGeneration

final class SampleStreamTests: XCTestCase {
    func testSameKeyGivesSameSequenceAndKeysDiffer() {
        var a = SampleStream(seed: 7, prompt: 3, sample: 11)
        var b = SampleStream(seed: 7, prompt: 3, sample: 11)
        let first = (0..<100).map { _ in a.next() }
        XCTAssertEqual(first, (0..<100).map { _ in b.next() })
        XCTAssertEqual(a.counter, 100)
        var keys = Set<UInt64>()
        for seed: UInt64 in [0, 1] {
            for prompt in 0..<20 {
                for sample in 0..<20 { keys.insert(SampleStream(seed: seed, prompt: prompt, sample: sample).key) }
            }
        }
        XCTAssertEqual(keys.count, 800, "(seed, prompt, sample) -> key must not collide on small grids")
        // Swapping prompt and sample must give a different stream.
        XCTAssertNotEqual(SampleStream(seed: 0, prompt: 1, sample: 2).key, SampleStream(seed: 0, prompt: 2, sample: 1).key)
    }

    func testUniformsLookUniform() {
        var stream = SampleStream(seed: 123, prompt: 0, sample: 0)
        var bins = [Int](repeating: 0, count: 10)
        let n = 50_000
        for _ in 0..<n {
            let u = stream.nextUniform()
            XCTAssertTrue(u >= 0 && u < 1)
            bins[Int(u * 10)] += 1
        }
        let expected = Double(n) / 10
        let chi = bins.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        XCTAssertLessThan(chi, 27.88, "chi-square with 9 df at 0.999: \(bins)")
    }
}
