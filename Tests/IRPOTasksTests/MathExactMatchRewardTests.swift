import XCTest
@testable import IRPOTasks

/// Table of tricky MATH completions scored by the default `math` reward ("Final answer:", then
/// the last `\boxed{}`), with LaTeX normalisation.
final class MathExactMatchRewardTests: XCTestCase {
    typealias Outcome = RewardResult.Outcome

    struct Case {
        let completion: String
        let gold: String
        let outcome: Outcome
        let method: ExtractionMethod?
        let line: UInt

        init(_ completion: String, _ gold: String, _ outcome: Outcome, _ method: ExtractionMethod? = .finalAnswer, line: UInt = #line) {
            self.completion = completion
            self.gold = gold
            self.outcome = outcome
            self.method = method
            self.line = line
        }
    }

    static let cases: [Case] = [
        // Fractions.
        Case("Final answer: \\frac{1}{2}", "\\frac{1}{2}", .correct),
        Case("Final answer: \\dfrac{1}{2}", "\\frac{1}{2}", .correct),
        Case("Final answer: \\tfrac{1}{2}", "\\frac{1}{2}", .correct),
        Case("Final answer: \\frac12", "\\frac{1}{2}", .correct),
        Case("Final answer: \\frac1{2}", "\\frac{1}{2}", .correct),
        Case("Final answer: 1/2", "\\frac{1}{2}", .correct),
        Case("Final answer: 0.5", "\\frac{1}{2}", .correct),
        Case("Final answer: .5", "\\frac{1}{2}", .correct),
        Case("Final answer: 0.50", "\\frac{1}{2}", .correct),
        Case("Final answer: \\frac{2}{4}", "\\frac{1}{2}", .correct),
        Case("Final answer: \\frac{1}{3}", "\\frac{1}{2}", .incorrect),
        Case("Final answer: 0.33", "\\frac{1}{3}", .incorrect),
        Case("Final answer: -\\frac{2}{3}", "-\\frac{2}{3}", .correct),
        Case("Final answer: \\frac{-2}{3}", "-\\frac{2}{3}", .correct),
        Case("Final answer: -\\dfrac{2}{3}", "\\frac{-2}{3}", .correct),
        Case("Final answer: \\frac{2}{3}", "-\\frac{2}{3}", .incorrect),
        Case("Final answer: \\frac{x}{2}", "\\frac{x}{2}", .correct),
        Case("Final answer: \\frac x2", "\\frac{x}{2}", .correct),
        Case("Final answer: \\frac{3}{4}", "0.75", .correct),
        Case("Final answer: 3/4", "0.75", .correct),
        Case("Final answer: \\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}{2}", .correct),
        Case("Final answer: \\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{3}}{3}", .incorrect),
        // Boxed, nested braces, dollars.
        Case("Final answer: \\boxed{\\frac{1}{2}}", "\\frac{1}{2}", .correct),
        Case("Final answer: $\\boxed{\\frac{1}{2}}$", "\\frac{1}{2}", .correct),
        Case("Final answer: $\\frac{1}{2}$", "\\frac{1}{2}", .correct),
        Case("Final answer: $$\\frac{1}{2}$$", "\\frac{1}{2}", .correct),
        Case("Final answer: \\boxed{\\frac{a+b}{\\sqrt{c}}}", "\\frac{a+b}{\\sqrt{c}}", .correct),
        Case("Final answer: \\boxed{\\{1,2\\}}", "\\{1,2\\}", .correct),
        Case("Final answer: \\fbox{7}", "7", .correct),
        Case("Final answer: \\boxed 7", "7", .correct),
        Case("Final answer: The final answer is $7$. I hope it is correct.", "7", .correct),
        Case("Final answer: The answer is $7$", "7", .correct),
        // \left / \right, spaces, \! and friends.
        Case("Final answer: \\left( 3, 4 \\right)", "(3,4)", .correct),
        Case("Final answer: \\left[ 2, 5 \\right)", "[2,5)", .correct),
        Case("Final answer: (3,4)", "(3, 4)", .correct),
        Case("Final answer: ( 3 , 4 )", "(3,4)", .correct),
        Case("Final answer: (4,3)", "(3,4)", .incorrect),
        Case("Final answer: 2\\!\\sqrt{3}", "2\\sqrt{3}", .correct),
        Case("Final answer: 2\\,\\sqrt{3}", "2\\sqrt3", .correct),
        Case("Final answer: 2 \\sqrt 3", "2\\sqrt{3}", .correct),
        Case("Final answer: \\sqrt{2}", "\\sqrt2", .correct),
        Case("Final answer: \\sqrt{3}", "\\sqrt{2}", .incorrect),
        Case("Final answer: \\displaystyle \\frac{1}{2}", "\\frac{1}{2}", .correct),
        Case("Final answer: x^{2}+1", "x^2+1", .correct),
        Case("Final answer: x^{2}+1", "x^3+1", .incorrect),
        Case("Final answer: x^{10}", "x^{10}", .correct),
        Case("Final answer: x^{10}", "x^1", .incorrect),
        // Units, text, degrees, percent, dollars.
        Case("Final answer: 5\\text{ cm}", "5", .correct),
        Case("Final answer: 5 \\text{cm}", "5", .correct),
        Case("Final answer: 5\\mbox{ inches}", "5", .correct),
        Case("Final answer: 12\\text{ cm}^2", "12", .correct),
        Case("Final answer: 30^\\circ", "30", .correct),
        Case("Final answer: 30^{\\circ}", "30", .correct),
        Case("Final answer: 30°", "30", .correct),
        Case("Final answer: 30^\\circ", "60", .incorrect),
        Case("Final answer: 25\\%", "25", .correct),
        Case("Final answer: 25%", "25", .correct),
        Case("Final answer: \\$18.90", "18.90", .correct),
        Case("Final answer: \\$18.90", "18.9", .correct),
        Case("Final answer: \\text{(C)}", "\\text{(C)}", .correct),
        Case("Final answer: (C)", "\\text{(C)}", .correct),
        Case("Final answer: \\text{Monday}", "\\text{Monday}", .correct),
        Case("Final answer: Monday", "\\text{Monday}", .correct),
        Case("Final answer: Tuesday", "\\text{Monday}", .incorrect),
        Case("Final answer: \\textbf{even}", "\\text{even}", .correct),
        // Short left-hand sides.
        Case("Final answer: x = 5", "5", .correct),
        Case("Final answer: $x=5$", "5", .correct),
        Case("Final answer: k = -3", "-3", .correct),
        Case("Final answer: y = 2x + 3", "2x+3", .correct),
        Case("Final answer: f(x) = 2x", "2x", .incorrect),
        Case("Final answer: x = 5 or x = -5", "5", .incorrect),
        Case("Final answer: 5 or -5", "5", .incorrect),
        // Numbers.
        Case("Final answer: 1,000", "1000", .correct),
        Case("Final answer: 1000", "1,000", .correct),
        Case("Final answer: 1,000,000", "1000000", .correct),
        Case("Final answer: 10.0", "10", .correct),
        Case("Final answer: 10.", "10", .correct),
        Case("Final answer: -7", "-7", .correct),
        Case("Final answer: \u{2212}7", "-7", .correct),
        Case("Final answer: 7", "-7", .incorrect),
        Case("Final answer: 3.14", "\\pi", .incorrect),
        Case("Final answer: \\pi", "\\pi", .correct),
        Case("Final answer: 2\\pi", "2 \\pi", .correct),
        Case("Final answer: \\infty", "\\infty", .correct),
        Case("Final answer: 12", "1,2", .incorrect),
        Case("Final answer: 1,2", "1, 2", .correct),
        // Intervals and sets.
        Case("Final answer: [2,5)", "[2,5)", .correct),
        Case("Final answer: [2,5]", "[2,5)", .incorrect),
        Case("Final answer: (-\\infty, 3]", "(-\\infty,3]", .correct),
        Case("Final answer: \\left(-\\infty, 3\\right]", "(-\\infty,3]", .correct),
        Case("Final answer: \\{1, 2, 3\\}", "\\{1,2,3\\}", .correct),
        // Matrices, \\ becomes \.
        Case("Final answer: \\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}", .correct),
        // \rightarrow is not \right.
        Case("Final answer: A \\rightarrow B", "A\\rightarrowB", .correct),
        // Multiple markers, no answer, empty answers.
        Case("Final answer: 3\nActually, Final answer: 4", "4", .correct),
        Case("Final answer: 4\nFinal answer: 3", "4", .incorrect),
        Case("Final answer:", "4", .unparsable),
        Case("Final answer: $$", "4", .unparsable),
        Case("Final answer: \\boxed{}", "4", .unparsable),
        Case("The answer is 4.", "4", .noAnswer, nil),
        Case("", "4", .noAnswer, nil),
        Case("\\boxed{4", "4", .noAnswer, nil),
        // Boxed fallback, reported as such.
        Case("So $x = \\boxed{4}$.", "4", .correct, .boxed),
        Case("First \\boxed{3}, then \\boxed{4}.", "4", .correct, .boxed),
        Case("First \\boxed{4}, then \\boxed{3}.", "4", .incorrect, .boxed),
        Case("We get $\\boxed{\\dfrac{\\sqrt{2}}{2}}$", "\\frac{\\sqrt{2}}{2}", .correct, .boxed),
        // The marker wins over a boxed expression elsewhere.
        Case("So \\boxed{4}.\nFinal answer: 5", "4", .incorrect),
        Case("So \\boxed{5}.\nFinal answer: $4$", "4", .correct),
    ]

    func testTableHasAtLeastOneHundredCases() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 100)
    }

    func testTable() {
        let reward = MathExactMatchReward()
        for row in Self.cases {
            let item = TaskItem(id: "m", question: "q", goldAnswer: row.gold)
            let result = reward.score(completion: row.completion, item: item)
            XCTAssertEqual(result.outcome, row.outcome, "completion \(row.completion.debugDescription) gold \(row.gold.debugDescription): \(LatexAnswer.normalize(result.extracted ?? "")) vs \(LatexAnswer.normalize(row.gold))", line: row.line)
            XCTAssertEqual(result.method, row.method, "completion \(row.completion.debugDescription)", line: row.line)
        }
    }
}
