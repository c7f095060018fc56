import XCTest
@testable import IRPOTasks

final class NumericAnswerTests: XCTestCase {
    func value(_ text: String) -> ExactNumber? {
        guard case let .number(token) = NumericAnswer.read(text) else { return nil }
        return token.value
    }

    func testTokens() {
        XCTAssertEqual(NumericAnswer.tokens(in: "7+5=12. 12-3=9.").map(\.text), ["7", "5", "12", "12", "3", "9"])
        XCTAssertEqual(NumericAnswer.tokens(in: "costs $1,234.50 (-$3) or 25 %").map(\.text), ["$1,234.50", "-$3", "25 %"])
        XCTAssertEqual(NumericAnswer.tokens(in: "1,2345").map(\.text), ["1", "2345"])
        XCTAssertEqual(NumericAnswer.tokens(in: "x-5 and -5").map { $0.value.description }, ["5", "-5"])
        XCTAssertEqual(NumericAnswer.tokens(in: "1 / 3").first?.value, ExactNumber(numerator: 1, denominator: 3))
        XCTAssertEqual(NumericAnswer.tokens(in: "5/0").map(\.text), [], "a zero denominator makes no number")
        XCTAssertEqual(NumericAnswer.read("5/0 apples"), .none)
        XCTAssertTrue(NumericAnswer.tokens(in: "25%").first?.isPercent == true)
    }

    func testReading() {
        XCTAssertEqual(value("$1,234.00"), ExactNumber(numerator: 1234))
        XCTAssertEqual(value("\u{2212}7"), ExactNumber(numerator: -7))
        XCTAssertEqual(value("\\frac{3}{4}"), ExactNumber(numerator: 3, denominator: 4))
        XCTAssertEqual(value("\\tfrac{-3}{4}"), ExactNumber(numerator: -3, denominator: 4))
        XCTAssertEqual(value("5 (five) 5"), ExactNumber(numerator: 5))
        XCTAssertEqual(NumericAnswer.read("12 or 13"), .ambiguous(["12", "13"]))
        XCTAssertEqual(NumericAnswer.read("none"), .none)
        XCTAssertEqual(NumericAnswer.read("25% and 25"), .ambiguous(["25%", "25"]), "a percent and a plain number differ")
    }

    func testGoldValues() {
        XCTAssertEqual(NumericAnswer.goldValue("1,200"), ExactNumber(numerator: 1200))
        XCTAssertEqual(NumericAnswer.goldValue("-3"), ExactNumber(numerator: -3))
        XCTAssertNil(NumericAnswer.goldValue("25%"))
        XCTAssertNil(NumericAnswer.goldValue("1 or 2"))
        XCTAssertNil(NumericAnswer.goldValue("abc"))
    }

    func testMatches() throws {
        let twelve = try XCTUnwrap(ExactNumber(numerator: 12))
        XCTAssertTrue(NumericAnswer.matches("12.0 apples", gold: twelve))
        XCTAssertFalse(NumericAnswer.matches("12 or 12.5", gold: twelve))
        XCTAssertTrue(NumericAnswer.matches("1200%", gold: twelve, percent: .divideBy100))
    }
}
