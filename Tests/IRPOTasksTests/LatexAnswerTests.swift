import XCTest
@testable import IRPOTasks

final class LatexAnswerTests: XCTestCase {
    func testNormalizeSteps() {
        let rows: [(String, String)] = [
            ("\\dfrac{1}{2}", "\\frac{1}{2}"),
            ("\\frac12", "\\frac{1}{2}"),
            ("\\frac{1}2", "\\frac{1}{2}"),
            ("0.5", "\\frac{1}{2}"),
            ("3/4", "\\frac{3}{4}"),
            ("x/4", "x/4"),
            ("\\left( 1, 2 \\right)", "(1,2)"),
            ("45^\\circ", "45"),
            ("\\$5", "5"),
            ("50\\%", "50"),
            ("10\\text{ cm}", "10"),
            ("10 \\mbox{meters}", "10"),
            ("\\text{(A)}", "(A)"),
            ("x = 3", "3"),
            ("xy = 3", "3"),
            ("xyz = 3", "xyz=3"),
            ("\\sqrt2 + \\sqrt 3", "\\sqrt{2}+\\sqrt{3}"),
            ("a^{b}", "a^b"),
            ("a^{bc}", "a^{bc}"),
            (".5", "\\frac{1}{2}"),
            ("{.5}", "{0.5}"),
            ("1,000", "1000"),
            ("1,2", "1,2"),
            ("The final answer is $3$", "3"),
            ("\\boxed{7}", "7"),
            ("\\displaystyle\\frac{1}{3}", "\\frac{1}{3}"),
            ("2\\!\\cdot\\!3", "2\\cdot3"),
            ("\\rightarrow", "\\rightarrow"),
            ("\u{2212}4", "-4"),
            ("5.", "5"),
        ]
        for (input, expected) in rows {
            XCTAssertEqual(LatexAnswer.normalize(input), expected, input)
        }
    }

    func testNumericEquivalence() {
        XCTAssertTrue(LatexAnswer.equivalent("-\\frac{1}{4}", "-0.25"))
        XCTAssertTrue(LatexAnswer.equivalent("\\frac{-1}{4}", "-\\frac14"))
        XCTAssertTrue(LatexAnswer.equivalent("2.50", "\\frac{5}{2}"))
        XCTAssertFalse(LatexAnswer.equivalent("\\frac{1}{3}", "0.333"))
        XCTAssertFalse(LatexAnswer.equivalent("", ""))
        XCTAssertTrue(LatexAnswer.equivalent("\\frac{1}{0}", "\\frac{1}{0}"), "identical strings are equal even when not numbers")
        XCTAssertNil(LatexAnswer.numericValue(of: "\\frac{1}{0}"))
        XCTAssertNil(LatexAnswer.numericValue(of: "\\frac{x}{2}"))
        XCTAssertEqual(LatexAnswer.numericValue(of: "-\\frac{3}{6}"), ExactNumber(numerator: -1, denominator: 2))
    }
}
