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
        XCTAssertNil(PairedBootstrap(before: [true, false], after: [true, true], groups: ["a"]))
    }

    func testOneQuestionPerGroupIsThePerQuestionBootstrap() throws {
        let before = (0..<300).map { $0 % 3 == 0 }
        let after = (0..<300).map { $0 % 2 == 0 }
        let plain = try XCTUnwrap(PairedBootstrap(before: before, after: after, resamples: 1_000))
        let grouped = try XCTUnwrap(PairedBootstrap(before: before, after: after, groups: (0..<300).map { "q\($0)" }, resamples: 1_000))
        XCTAssertEqual([grouped.difference, grouped.low, grouped.high], [plain.difference, plain.low, plain.high])
        XCTAssertNil(plain.groups)
        XCTAssertEqual(grouped.groups, 300)
    }

    func testGroupsSharingAnOutcomeWidenTheInterval() throws {
        // 400 questions in 8 structures of 50 (keys interleaved, so grouping is by key, not by
        // position): the after-model gains every question of structures 0-3 and none of 4-7.
        let keys = (0..<400).map { "s\($0 % 8)" }
        let before = [Bool](repeating: false, count: 400)
        let after = (0..<400).map { $0 % 8 < 4 }
        let plain = try XCTUnwrap(PairedBootstrap(before: before, after: after, resamples: 4_000))
        let grouped = try XCTUnwrap(PairedBootstrap(before: before, after: after, groups: keys, resamples: 4_000))
        XCTAssertEqual(grouped.difference, 0.5, accuracy: 1e-12)
        XCTAssertEqual(grouped.groups, 8)
        // Per question the gains look like Bernoulli(0.5) over 400 draws (standard error 0.025);
        // over structures the share of gaining ones among 8 draws (0.5 * 0.5 / 8: 0.177).
        XCTAssertEqual(plain.low, 0.5 - 1.96 * 0.025, accuracy: 0.01)
        XCTAssertLessThan(grouped.low, 0.25)
        XCTAssertGreaterThan(grouped.high, 0.75)
        // A resample's difference is the gaining structures' share: a multiple of 1/8.
        XCTAssertEqual((grouped.low * 8).rounded(), grouped.low * 8, accuracy: 1e-9)
        XCTAssertTrue(grouped.description.contains("resampling 8 problem structures of 400 questions"), grouped.description)
    }
}
