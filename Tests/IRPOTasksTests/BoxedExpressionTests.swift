import XCTest
@testable import IRPOTasks

final class BoxedExpressionTests: XCTestCase {
    func testLastContent() {
        let rows: [(String, String?)] = [
            ("\\boxed{5}", "5"),
            ("a \\boxed{1} b \\boxed{2}", "2"),
            ("\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"),
            ("\\boxed{\\frac{\\sqrt{3}}{\\pi^{2}}}.", "\\frac{\\sqrt{3}}{\\pi^{2}}"),
            ("\\boxed{\\{1, 2\\}}", "\\{1, 2\\}"),
            ("\\boxed{\\}}", "\\}"),
            ("\\fbox{7}", "7"),
            ("\\boxed{1} then \\fbox{2}", "2"),
            ("\\fbox{1} then \\boxed{2}", "2"),
            ("$\\boxed 5$", "5"),
            ("\\boxed {x}", "x"),
            ("\\boxed{}", ""),
            ("\\boxed{1", nil),
            ("\\boxed", nil),
            ("\\boxedx", nil),
            ("nothing", nil),
        ]
        for (text, expected) in rows {
            XCTAssertEqual(BoxedExpression.lastContent(in: text), expected, text)
        }
        XCTAssertEqual(BoxedExpression.unwrapped("x \\boxed{3}"), "3")
        XCTAssertEqual(BoxedExpression.unwrapped("plain"), "plain")
    }
}
