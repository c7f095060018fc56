import XCTest
@testable import IRPOPipeline

final class PairedBootstrapTests: XCTestCase {
    func testDifferenceAndIntervalOfAClearGain() throws {
        // 400 questions: before right on 160, after right on the same 160 plus 80 more.
        let before = (0..<400).map { $0 < 160 }
        let after = (0..<400).map { $0 < 240 }
        let result = try XCTUnwrap(PairedBootstrap(before: before, after: after, resamples: 2_000))
        XCTAssertEqual(result.difference, 0.2, accuracy: 1e-12)
        // The per-question gains are Bernoulli(0.2): standard error sqrt(0.2 * 0.8 / 400) = 0.02.
        XCTAssertEqual(result.low, 0.2 - 1.96 * 0.02, accuracy: 0.01)
        XCTAssertEqual(result.high, 0.2 + 1.96 * 0.02, accuracy: 0.01)
        XCTAssertTrue(result.description.hasPrefix("+20.0 points"), result.description)
    }

    func testNoChangeGivesAnIntervalAroundZeroAndIsSeeded() throws {
        let before = (0..<300).map { $0 % 3 == 0 }
        let after = (0..<300).map { $0 % 3 == 1 }
        let a = try XCTUnwrap(PairedBootstrap(before: before, after: after, resamples: 1_000))
        XCTAssertEqual(a.difference, 0, accuracy: 1e-12)
        XCTAssertLessThan(a.low, 0)
        XCTAssertGreaterThan(a.high, 0)
        XCTAssertEqual(a, PairedBootstrap(before: before, after: after, resamples: 1_000), "same seed, same interval")
    }

    func testRejectsMismatchedOrEmptyInput() {
        XCTAssertNil(PairedBootstrap(before: [], after: []))
        XCTAssertNil(PairedBootstrap(before: [true], after: [true, false]))
    }
}
