import XCTest
@testable import IRPOTasks

final class SplitMix64Tests: XCTestCase {
    func testReferenceSequence() {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
        XCTAssertEqual(rng.next(), 0x6E78_9E6A_A1B9_65F4)
        XCTAssertEqual(rng.next(), 0x06C4_5D18_8009_454F)
    }

    func testUniformStaysInRangeAndCoversIt() {
        var rng = SplitMix64(seed: 9)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let value = rng.uniform(in: -3...3)
            XCTAssertTrue((-3...3).contains(value))
            seen.insert(value)
        }
        XCTAssertEqual(seen.count, 7)
        XCTAssertEqual(rng.uniform(in: 5...5), 5)
        for _ in 0..<1000 {
            let u = rng.unit()
            XCTAssertTrue(u >= 0 && u < 1)
        }
        XCTAssertFalse(rng.chance(0))
        XCTAssertTrue(rng.chance(1))
    }

    func testStableHash() {
        // FNV-1a 64 reference values.
        XCTAssertEqual(SplitMix64.stableHash(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(SplitMix64.stableHash("a"), 0xAF63_DC4C_8601_EC8C)
    }
}
