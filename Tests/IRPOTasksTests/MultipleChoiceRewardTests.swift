import XCTest
@testable import IRPOTasks

/// Table of tricky ARC completions scored by the default `arc` reward ("Final answer:" only).
final class MultipleChoiceRewardTests: XCTestCase {
    typealias Outcome = RewardResult.Outcome

    static func item(_ labels: [String], _ texts: [String], gold: String) -> TaskItem {
        TaskItem(id: "arc", question: "q", goldAnswer: gold, choices: zip(labels, texts).map { TaskItem.Choice(label: $0, text: $1) })
    }

    /// Letter labels, gold B.
    static let letters = item(["A", "B", "C", "D"], ["photosynthesis", "respiration", "evaporation", "condensation"], gold: "B")
    /// Digit labels, gold 3.
    static let digits = item(["1", "2", "3", "4"], ["iron", "copper", "glass", "aluminum"], gold: "3")
    /// Letter labels with numeric option texts, gold C (text "6").
    static let numericTexts = item(["A", "B", "C", "D"], ["2", "4", "6", "8"], gold: "C")
    /// Five options whose texts start with articles, gold A.
    static let articles = item(["A", "B", "C", "D", "E"], ["a rock", "a plant", "an animal", "a fungus", "a cell"], gold: "A")
    /// Three options, gold C.
    static let three = item(["A", "B", "C"], ["It gets warmer.", "It gets colder.", "It stays the same."], gold: "C")

    struct Case {
        let completion: String
        let item: TaskItem
        let outcome: Outcome
        let line: UInt

        init(_ completion: String, _ item: TaskItem, _ outcome: Outcome, line: UInt = #line) {
            self.completion = completion
            self.item = item
            self.outcome = outcome
            self.line = line
        }
    }

    static let cases: [Case] = [
        // Letter forms.
        Case("Final answer: B", letters, .correct),
        Case("Final answer: (B)", letters, .correct),
        Case("Final answer: B)", letters, .correct),
        Case("Final answer: B.", letters, .correct),
        Case("Final answer: B:", letters, .correct),
        Case("Final answer: [B]", letters, .correct),
        Case("Final answer: ( B )", letters, .correct),
        Case("Final answer: b", letters, .correct),
        Case("Final answer: (b)", letters, .correct),
        Case("Final answer: b)", letters, .correct),
        Case("Final answer: **B**", letters, .correct),
        Case("Final answer: \\boxed{B}", letters, .correct),
        Case("Final answer: $\\boxed{B}$", letters, .correct),
        Case("Final answer: \\text{B}", letters, .correct),
        Case("Final answer: \"B\"", letters, .correct),
        Case("Final answer:B", letters, .correct),
        Case("final ANSWER : (B)", letters, .correct),
        Case("Final answer:\n(B)", letters, .correct),
        Case("Final answer: (B)\nQuestion: next one", letters, .correct),
        // Letter plus text.
        Case("Final answer: (B) respiration", letters, .correct),
        Case("Final answer: B) respiration", letters, .correct),
        Case("Final answer: B. respiration", letters, .correct),
        Case("Final answer: B - respiration", letters, .correct),
        Case("Final answer: B: Respiration", letters, .correct),
        Case("Final answer: (B) Respiration.", letters, .correct),
        Case("Final answer: (B) because cells release energy", letters, .correct),
        // Leading phrases.
        Case("Final answer: The answer is (B)", letters, .correct),
        Case("Final answer: The correct answer is B", letters, .correct),
        Case("Final answer: Option B", letters, .correct),
        Case("Final answer: option (B)", letters, .correct),
        Case("Final answer: Choice B", letters, .correct),
        Case("Final answer: Answer: B", letters, .correct),
        Case("Final answer: The best answer is (B) respiration", letters, .correct),
        // Option text instead of a letter.
        Case("Final answer: respiration", letters, .correct),
        Case("Final answer: Respiration", letters, .correct),
        Case("Final answer: RESPIRATION.", letters, .correct),
        Case("Final answer:   respiration  ", letters, .correct),
        Case("Final answer: The answer is respiration", letters, .correct),
        Case("Final answer: photosynthesis", letters, .incorrect),
        Case("Final answer: It stays the same.", three, .correct),
        Case("Final answer: it stays the same", three, .correct),
        Case("Final answer: It gets warmer.", three, .incorrect),
        Case("Final answer: a rock", articles, .correct),
        Case("Final answer: A rock", articles, .correct),
        Case("Final answer: a plant", articles, .incorrect),
        Case("Final answer: an animal", articles, .incorrect),
        // Articles are not labels.
        Case("Final answer: a", articles, .correct),
        Case("Final answer: (a)", articles, .correct),
        Case("Final answer: a)", articles, .correct),
        Case("Final answer: a big rock", articles, .unparsable),
        Case("Final answer: e", articles, .incorrect),
        Case("Final answer: (E) a cell", articles, .incorrect),
        Case("Final answer: A) a rock", articles, .correct),
        // Wrong letters.
        Case("Final answer: A", letters, .incorrect),
        Case("Final answer: (C)", letters, .incorrect),
        Case("Final answer: D) condensation", letters, .incorrect),
        Case("Final answer: (A) photosynthesis", letters, .incorrect),
        // Labels outside the item.
        Case("Final answer: (E)", letters, .unparsable),
        Case("Final answer: F", letters, .unparsable),
        Case("Final answer: (D)", three, .unparsable),
        // Ambiguous answers (false-positive guards).
        Case("Final answer: B or C", letters, .ambiguous),
        Case("Final answer: (B) or (C)", letters, .ambiguous),
        Case("Final answer: B and C", letters, .ambiguous),
        Case("Final answer: B, C", letters, .ambiguous),
        Case("Final answer: B/C", letters, .ambiguous),
        Case("Final answer: (B) and (D)", letters, .ambiguous),
        Case("Final answer: B) evaporation", letters, .ambiguous),
        Case("Final answer: (B) photosynthesis", letters, .ambiguous),
        Case("Final answer: (A) respiration", letters, .ambiguous),
        Case("Final answer: (B) is right, not (C)", letters, .ambiguous),
        Case("Final answer: C or B", letters, .ambiguous),
        Case("Final answer: either (A) or (B)", letters, .ambiguous),
        // No answer or nothing usable.
        Case("I think it is B.", letters, .noAnswer),
        Case("The answer is (B).", letters, .noAnswer),
        Case("", letters, .noAnswer),
        Case("Final answer: (insert letter here)", letters, .unparsable),
        Case("Final answer:", letters, .unparsable),
        Case("Final answer: none of the above", letters, .unparsable),
        Case("Final answer: I am not sure", letters, .unparsable),
        Case("Final answer: Be careful", letters, .unparsable),
        Case("Final answer: Because plants need light", letters, .unparsable),
        // Bracketed label inside an explanation.
        Case("Final answer: I choose (B) because it releases energy", letters, .correct),
        Case("Final answer: I choose (C) because", letters, .incorrect),
        // Last marker wins.
        Case("Final answer: (A)\nWait, that is wrong.\nFinal answer: (B)", letters, .correct),
        Case("Final answer: (B)\nOn reflection:\nFinal answer: (A)", letters, .incorrect),
        // Digit labels.
        Case("Final answer: 3", digits, .correct),
        Case("Final answer: (3)", digits, .correct),
        Case("Final answer: 3)", digits, .correct),
        Case("Final answer: 3.", digits, .correct),
        Case("Final answer: (3) glass", digits, .correct),
        Case("Final answer: glass", digits, .correct),
        Case("Final answer: Glass.", digits, .correct),
        Case("Final answer: C", digits, .correct),
        Case("Final answer: (C)", digits, .correct),
        Case("Final answer: c)", digits, .correct),
        Case("Final answer: 2", digits, .incorrect),
        Case("Final answer: (B)", digits, .incorrect),
        Case("Final answer: copper", digits, .incorrect),
        Case("Final answer: 5", digits, .unparsable),
        Case("Final answer: (E)", digits, .unparsable),
        Case("Final answer: 3 or 4", digits, .ambiguous),
        Case("Final answer: (3) iron", digits, .ambiguous),
        // Letter labels with numeric option texts: a bare number is option text, not a position.
        Case("Final answer: 6", numericTexts, .correct),
        Case("Final answer: C", numericTexts, .correct),
        Case("Final answer: (C) 6", numericTexts, .correct),
        Case("Final answer: 3", numericTexts, .unparsable),
        Case("Final answer: 2", numericTexts, .incorrect),
        Case("Final answer: (C) 8", numericTexts, .ambiguous),
        Case("Final answer: 6.", numericTexts, .correct),
        // Three options.
        Case("Final answer: C", three, .correct),
        Case("Final answer: (C) It stays the same.", three, .correct),
        Case("Final answer: (C) It gets colder.", three, .ambiguous),
    ]

    func testTableHasAtLeastOneHundredCases() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 100)
    }

    func testTable() {
        let reward = MultipleChoiceReward()
        for row in Self.cases {
            let result = reward.score(completion: row.completion, item: row.item)
            XCTAssertEqual(result.outcome, row.outcome, "completion \(row.completion.debugDescription), extracted \(String(describing: result.extracted))", line: row.line)
            XCTAssertEqual(result.reward, row.outcome == .correct ? 1 : 0, line: row.line)
            if row.outcome != .noAnswer { XCTAssertEqual(result.method, .finalAnswer, line: row.line) }
        }
    }

    func testGoldLabelComparisonIgnoresCase() {
        let item = Self.item(["a", "b", "c"], ["x", "y", "z"], gold: "b")
        XCTAssertEqual(MultipleChoiceReward().reward(completion: "Final answer: (B)", item: item), 1)
    }

    func testBoxedFallbackWhenConfigured() {
        let reward = MultipleChoiceReward(extractor: AnswerExtractor(fallbacks: [.boxed]))
        let result = reward.score(completion: "so \\boxed{B}", item: Self.letters)
        XCTAssertEqual(result.outcome, .correct)
        XCTAssertEqual(result.method, .boxed)
    }
}
