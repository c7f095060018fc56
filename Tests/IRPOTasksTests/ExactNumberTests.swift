import XCTest
@testable import IRPOTasks

final class ExactNumberTests: XCTestCase {
    func testEqualityIsExact() throws {
        let half = try XCTUnwrap(ExactNumber(numerator: 1, denominator: 2))
        XCTAssertEqual(half, ExactNumber(decimalLiteral: "0.5"))
        XCTAssertEqual(half, ExactNumber(numerator: -2, denominator: -4))
        XCTAssertNotEqual(try XCTUnwrap(ExactNumber(numerator: 1, denominator: 3)), ExactNumber(decimalLiteral: "0.3333333333"))
        XCTAssertNil(ExactNumber(numerator: 1, denominator: 0))
        XCTAssertEqual(ExactNumber(decimalLiteral: "-0"), ExactNumber(numerator: 0))
    }

    func testDecimalLiterals() {
        XCTAssertEqual(ExactNumber(decimalLiteral: ".25")?.description, "0.25")
        XCTAssertEqual(ExactNumber(decimalLiteral: "+7")?.description, "7")
        XCTAssertEqual(ExactNumber(decimalLiteral: "-1.50")?.description, "-1.5")
        for bad in ["", "-", "1-2", "1.2.3", "1,000", "1e5", "x"] {
            XCTAssertNil(ExactNumber(decimalLiteral: bad), bad)
        }
    }

    func testDescriptionAndIntegers() {
        XCTAssertEqual(ExactNumber(numerator: 6, denominator: 3)?.description, "2")
        XCTAssertEqual(ExactNumber(numerator: 1, denominator: 3)?.description, "1/3")
        XCTAssertEqual(ExactNumber(numerator: 1, denominator: -4)?.description, "-0.25")
        XCTAssertEqual(ExactNumber(numerator: 6, denominator: 3)?.isInteger, true)
        XCTAssertEqual(ExactNumber(numerator: 5, denominator: 2)?.isInteger, false)
        XCTAssertEqual(ExactNumber(numerator: 25)?.hundredth, ExactNumber(decimalLiteral: "0.25"))
    }
}
