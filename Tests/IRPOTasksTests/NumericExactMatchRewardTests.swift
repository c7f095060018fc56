import XCTest
@testable import IRPOTasks

/// Table of tricky GSM8K-style completions scored by the default `gsm8k` reward
/// ("Final answer:", then `\boxed{}` and "####" fallbacks, percent signs ignored).
final class NumericExactMatchRewardTests: XCTestCase {
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
        // Plain and formatted numbers.
        Case("5+7=12. Final answer: 12", "12", .correct),
        Case("Final answer: 12.", "12", .correct),
        Case("Final answer: 12.0", "12", .correct),
        Case("Final answer: 12.00", "12", .correct),
        Case("Final answer: 012", "12", .correct),
        Case("Final answer: 1,234", "1234", .correct),
        Case("Final answer: $1,234.00", "1234", .correct),
        Case("Final answer: $1234", "1234", .correct),
        Case("Final answer: \\$1,234", "1234", .correct),
        Case("Final answer: 1,234,567", "1234567", .correct),
        Case("Final answer: 1234567", "1,234,567", .correct),
        Case("Final answer: 10,000 dollars", "10000", .correct),
        Case("Final answer: €45", "45", .correct),
        Case("Final answer: £3.50", "3.5", .correct),
        Case("Final answer: 3.50", "3.5", .correct),
        Case("Final answer: .5", "0.5", .correct),
        Case("Final answer: 0.5", "1/2", .correct),
        Case("Final answer: 1/2", "0.5", .correct),
        Case("Final answer: \\frac{1}{2}", "0.5", .correct),
        Case("Final answer: \\dfrac{3}{4}", "0.75", .correct),
        Case("Final answer: 3/4", "0.75", .correct),
        Case("Final answer: 6/3", "2", .correct),
        Case("Final answer: 0.33", "1/3", .incorrect),
        Case("Final answer: 0.333", "1/3", .incorrect),
        Case("Final answer: 1/3", "1/3", .correct),
        Case("Final answer: 2/6", "1/3", .correct),
        // Negative numbers and Unicode minus.
        Case("Final answer: -5", "-5", .correct),
        Case("Final answer: \u{2212}5", "-5", .correct),
        Case("Final answer: \u{2013}5", "-5", .correct),
        Case("Final answer: -5", "5", .incorrect),
        Case("Final answer: 5", "-5", .incorrect),
        Case("Final answer: -$20", "-20", .correct),
        Case("Final answer: $-20", "-20", .correct),
        Case("Final answer: (-3)", "-3", .correct),
        Case("Final answer: -0.25", "-1/4", .correct),
        // Trailing text, units, markup.
        Case("Final answer: 18 dollars", "18", .correct),
        Case("Final answer: She makes $18 every day.", "18", .correct),
        Case("Final answer: 18 apples.", "18", .correct),
        Case("Final answer: **18**", "18", .correct),
        Case("**Final answer:** 18", "18", .correct),
        Case("**Final answer**: 18", "18", .correct),
        Case("Final answer: `18`", "18", .correct),
        Case("Final answer: \\boxed{18}", "18", .correct),
        Case("Final answer: $\\boxed{18}$", "18", .correct),
        Case("Final answer: \\text{18 cm}", "18", .correct),
        Case("Final answer: 18 km/h", "18", .correct),
        Case("Final answer: 18 (eighteen)", "18", .correct),
        Case("Final answer: 18 (18 eggs)", "18", .correct),
        Case("Final answer: 18. I hope it is correct.", "18", .correct),
        Case("Final answer: 18\nQuestion: Tom has 5 pens.", "18", .correct),
        Case("Final answer:\n18", "18", .correct),
        Case("Final answer:\n\n  18  \n", "18", .correct),
        Case("Final answer:\nQuestion: Tom has 5 pens.", "5", .unparsable),
        Case("Final answer:\nQ: Tom has 5 pens.", "5", .unparsable),
        Case("Final answer: 18 hours", "18", .correct),
        Case("Final answer: 1\u{00A0}000", "1000", .ambiguous),
        Case("Final answer: 1\\,000", "1000", .correct),
        Case("Final answer: 1{,}000", "1000", .correct),
        Case("Final answer: 90°", "90", .correct),
        Case("Final answer: 90^\\circ", "90", .correct),
        // Case and whitespace of the marker.
        Case("final answer: 7", "7", .correct),
        Case("FINAL ANSWER: 7", "7", .correct),
        Case("Final Answer: 7", "7", .correct),
        Case("Final  answer :7", "7", .correct),
        Case("Final answer:7", "7", .correct),
        Case("Final\tanswer:\t7", "7", .correct),
        Case("finalanswer: 7", "7", .correct),
        // Percent (ignored by default).
        Case("Final answer: 25%", "25", .correct),
        Case("Final answer: 25 %", "25", .correct),
        Case("Final answer: 25\\%", "25", .correct),
        Case("Final answer: 25%", "0.25", .incorrect),
        // Multiple occurrences: the last wins.
        Case("Final answer: 3. Wait, I made an error. Final answer: 4", "4", .correct),
        Case("Final answer: 4. Hmm. Final answer: 3", "4", .incorrect),
        Case("Final answer: 4\nFinal answer: ", "4", .unparsable),
        Case("Use the format \"Final answer: ...\". 3+4=7. Final answer: 7", "7", .correct),
        Case("Final answer: ...", "7", .unparsable),
        // Ambiguous answers are never correct (false-positive guards).
        Case("Final answer: 12 or 13", "12", .ambiguous),
        Case("Final answer: 12 or 13", "13", .ambiguous),
        Case("Final answer: 12-13", "12", .ambiguous),
        Case("Final answer: 12, 13", "12", .ambiguous),
        Case("Final answer: 12,13", "12", .ambiguous),
        Case("Final answer: 1,2345", "12345", .ambiguous),
        Case("Final answer: 3 + 4 = 7", "7", .ambiguous),
        Case("Final answer: 18 dollars per day for 7 days", "18", .ambiguous),
        Case("Final answer: between 10 and 20", "10", .ambiguous),
        Case("Final answer: 2 hours and 30 minutes", "150", .ambiguous),
        Case("Final answer: 1.2.3", "1.2", .ambiguous),
        Case("Final answer: 3 1/2", "3.5", .ambiguous),
        Case("Final answer: 5 and -5", "5", .ambiguous),
        // No number or no answer at all.
        Case("Final answer: twelve", "12", .unparsable),
        Case("Final answer: I don't know", "12", .unparsable),
        Case("Final answer:", "12", .unparsable),
        Case("The total is 12.", "12", .noAnswer, nil),
        Case("", "12", .noAnswer, nil),
        Case("5+7=12. 12-3=", "9", .noAnswer, nil),
        Case("The semifinal answer: 12", "12", .noAnswer, nil),
        // Wrong answers.
        Case("Final answer: 13", "12", .incorrect),
        Case("Final answer: 120", "12", .incorrect),
        Case("Final answer: 1.2", "12", .incorrect),
        Case("Final answer: 12.01", "12", .incorrect),
        Case("Final answer: 1,200", "120", .incorrect),
        // The marker wins over fallbacks, even when it cannot be read.
        Case("\\boxed{12}. Final answer: 13", "12", .incorrect),
        Case("#### 12\nFinal answer: unknown", "12", .unparsable),
        // Fallbacks, reported as such.
        Case("So the answer is \\boxed{12}.", "12", .correct, .boxed),
        Case("So the answer is \\boxed{\\frac{1}{2}}.", "0.5", .correct, .boxed),
        Case("She has 12 now.\n#### 12", "12", .correct, .hashes),
        Case("#### 1,200", "1200", .correct, .hashes),
        Case("#### 12 or 13", "12", .ambiguous, .hashes),
        Case("\\boxed{7} then \\boxed{8}", "8", .correct, .boxed),
        Case("\\boxed{12} and #### 13", "12", .correct, .boxed),
        Case("#### ", "12", .noAnswer, nil),
        // Gold answers written in other forms.
        Case("Final answer: 72", "72", .correct),
        Case("Final answer: 109200000", "109,200,000", .correct),
        Case("Final answer: 109,200,000", "109200000", .correct),
        Case("Final answer: 0", "0", .correct),
        Case("Final answer: -0", "0", .correct),
        Case("Final answer: 00", "0", .correct),
    ]

    func testTableHasAtLeastOneHundredCases() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 100)
    }

    func testTable() {
        let reward = NumericExactMatchReward()
        for row in Self.cases {
            let item = TaskItem(id: "t", question: "q", goldAnswer: row.gold)
            let result = reward.score(completion: row.completion, item: item)
            XCTAssertEqual(result.outcome, row.outcome, "completion \(row.completion.debugDescription) gold \(row.gold), extracted \(String(describing: result.extracted))", line: row.line)
            XCTAssertEqual(result.method, row.method, "completion \(row.completion.debugDescription)", line: row.line)
            XCTAssertEqual(result.reward, row.outcome == .correct ? 1 : 0, line: row.line)
        }
    }

    func testLastNumberFallbackIsOptInAndReported() {
        let item = TaskItem(id: "t", question: "q", goldAnswer: "9")
        let strict = NumericExactMatchReward()
        XCTAssertEqual(strict.score(completion: "7+5=12. 12-3=9.", item: item).outcome, .noAnswer)
        let lenient = NumericExactMatchReward(extractor: AnswerExtractor(fallbacks: [.boxed, .hashes, .lastNumber]))
        let result = lenient.score(completion: "7+5=12. 12-3=9.", item: item)
        XCTAssertEqual(result.outcome, .correct)
        XCTAssertEqual(result.method, .lastNumber)
        XCTAssertTrue(result.usedFallback)
    }

    func testPercentPolicies() {
        let quarter = TaskItem(id: "t", question: "q", goldAnswer: "0.25")
        let whole = TaskItem(id: "t", question: "q", goldAnswer: "25")
        func score(_ policy: PercentPolicy, _ item: TaskItem) -> Double {
            NumericExactMatchReward(percent: policy).reward(completion: "Final answer: 25%", item: item)
        }
        XCTAssertEqual(score(.ignoreSign, whole), 1)
        XCTAssertEqual(score(.ignoreSign, quarter), 0)
        XCTAssertEqual(score(.divideBy100, quarter), 1)
        XCTAssertEqual(score(.divideBy100, whole), 0)
        XCTAssertEqual(score(.either, quarter), 1)
        XCTAssertEqual(score(.either, whole), 1)
        XCTAssertEqual(score(.reject, whole), 0)
        XCTAssertEqual(score(.reject, quarter), 0)
    }

    func testNonNumericGoldIsNeverCorrect() {
        let item = TaskItem(id: "t", question: "q", goldAnswer: "seven")
        XCTAssertEqual(NumericExactMatchReward().score(completion: "Final answer: 7", item: item).outcome, .incorrect)
    }
}
