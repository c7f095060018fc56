import XCTest
@testable import IRPOTasks

final class PromptTemplateTests: XCTestCase {
    let item = TaskItem(id: "1", question: "Which is a gas?", goldAnswer: "B", choices: [
        TaskItem.Choice(label: "A", text: "ice"), TaskItem.Choice(label: "B", text: "steam"), TaskItem.Choice(label: "C", text: "rock"),
    ])

    func testLayoutWithChoicesAndExamples() {
        let template = PromptTemplate(instruction: "Solve.", examples: [PromptTemplate.Example(question: "1+1?", solution: "Final answer: 2")])
        XCTAssertEqual(template.render(item: item), """
            Solve.

            Question: 1+1?

            Solution: Final answer: 2

            Question: Which is a gas?
            (A) ice (B) steam (C) rock

            Solution:
            """)
        XCTAssertEqual(PromptTemplate().render(question: "q"), "Question: q\n\nSolution:")
    }

    func testConfigurableParts() {
        let template = PromptTemplate(questionPrefix: "Q: ", solutionCue: "A:", blockSeparator: "\n", choicesSeparator: " ", choiceFormat: "{label}. {text}", choiceJoiner: "; ", completionSeparator: "")
        XCTAssertEqual(template.render(item: item), "Q: Which is a gas? A. ice; B. steam; C. rock\nA:")
        XCTAssertEqual(template.fullText(item: item, completion: "B"), "Q: Which is a gas? A. ice; B. steam; C. rock\nA:B")
    }

    func testChatWrapper() throws {
        let wrapped = try PromptTemplate().render(item: item, wrap: { "<user>\($0)</user><assistant>" })
        XCTAssertTrue(wrapped.hasPrefix("<user>Question: Which is a gas?"))
        XCTAssertTrue(wrapped.hasSuffix("Solution:</user><assistant>"))
        XCTAssertEqual(try PromptTemplate().render(item: item, wrap: nil), PromptTemplate().render(item: item))
        struct NoTemplate: Error {}
        XCTAssertThrowsError(try PromptTemplate().render(item: item, wrap: { _ in throw NoTemplate() }))
    }

    func testCodableRoundTrip() throws {
        let data = try JSONEncoder().encode(PromptTemplate.math)
        XCTAssertEqual(try JSONDecoder().decode(PromptTemplate.self, from: data), PromptTemplate.math)
    }
}
