import XCTest
@testable import IRPOTasks

final class PercentPolicyTests: XCTestCase {
    func testCandidates() throws {
        let value = try XCTUnwrap(ExactNumber(numerator: 40))
        let fraction = try XCTUnwrap(ExactNumber(decimalLiteral: "0.4"))
        XCTAssertEqual(PercentPolicy.ignoreSign.candidates(for: value), [value])
        XCTAssertEqual(PercentPolicy.divideBy100.candidates(for: value), [fraction])
        XCTAssertEqual(PercentPolicy.either.candidates(for: value), [value, fraction])
        XCTAssertEqual(PercentPolicy.reject.candidates(for: value), [])
        XCTAssertEqual(PercentPolicy(rawValue: "divideBy100"), .divideBy100)
    }
}
