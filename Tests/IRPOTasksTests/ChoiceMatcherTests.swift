import XCTest
@testable import IRPOTasks

final class ChoiceMatcherTests: XCTestCase {
    let choices = zip(["A", "B", "C", "D"], ["Mercury", "Venus", "Earth", "Mars"]).map { TaskItem.Choice(label: $0, text: $1) }

    func testMatches() {
        let rows: [(String, ChoiceMatcher.Match)] = [
            ("C", .choice(2)),
            ("(c)", .choice(2)),
            ("Earth", .choice(2)),
            ("the answer is earth.", .choice(2)),
            ("C) Earth", .choice(2)),
            ("C) Mars", .ambiguous),
            ("C or D", .ambiguous),
            ("between (A) and (B)", .ambiguous),
            ("I pick (D) here", .choice(3)),
            ("Pluto", .none),
            ("", .none),
        ]
        for (answer, expected) in rows {
            XCTAssertEqual(ChoiceMatcher.match(answer, choices: choices), expected, answer)
        }
        XCTAssertEqual(ChoiceMatcher.match("A", choices: []), .none)
    }

    func testDuplicateOptionTextsAreAmbiguous() {
        let twins = [TaskItem.Choice(label: "A", text: "same"), TaskItem.Choice(label: "B", text: "same"), TaskItem.Choice(label: "C", text: "other")]
        XCTAssertEqual(ChoiceMatcher.match("same", choices: twins), .ambiguous)
        XCTAssertEqual(ChoiceMatcher.match("B", choices: twins), .choice(1))
    }

    func testNormalization() {
        XCTAssertEqual(ChoiceMatcher.normalized("  It   Gets\tWarmer. "), "it gets warmer")
        XCTAssertEqual(ChoiceMatcher.cleaned("**The correct answer is: (B).**"), "(B)")
    }
}
