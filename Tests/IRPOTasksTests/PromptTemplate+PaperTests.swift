import XCTest
@testable import IRPOTasks

final class PromptTemplatePaperTests: XCTestCase {
    func testGSM8KPromptIsThePapersText() {
        let prompt = PromptTemplate.gsm8k.render(question: "Natalia sold clips?")
        XCTAssertEqual(prompt, """
            Your task is to answer the question below. Give step by step reasoning before you answer, and when you're ready to answer, please use the format "Final answer: ..."

            Question: Natalia sold clips?

            Solution:
            """)
    }

    func testARCPromptIsThePapersTextWithOptions() {
        let item = TaskItem(id: "a", question: "Which is a gas?", goldAnswer: "B", choices: [
            TaskItem.Choice(label: "A", text: "ice"), TaskItem.Choice(label: "B", text: "steam"), TaskItem.Choice(label: "C", text: "rock"),
        ])
        XCTAssertEqual(PromptTemplate.arc.render(item: item), """
            Your task is to answer the question below. Give step by step reasoning before you answer, and when you're ready to answer, conclude using the format "Final answer: (insert letter here)"

            Question: Which is a gas?
            (A) ice (B) steam (C) rock

            Solution:
            """)
    }

    func testMATHPromptHasFourExamplesThatTheMathRewardAccepts() throws {
        XCTAssertEqual(PromptTemplate.math.examples.count, 4)
        let answers = ["[2,5)", "24", "16", "-\\frac{2}{3}"]
        for (example, answer) in zip(PromptTemplate.mathExamples, answers) {
            XCTAssertTrue(example.solution.contains("\\boxed{"))
            let item = TaskItem(id: "m", question: example.question, goldAnswer: answer)
            let result = MathExactMatchReward().score(completion: example.solution, item: item)
            XCTAssertEqual(result.outcome, .correct, example.solution)
            XCTAssertEqual(result.method, .finalAnswer)
        }
        let prompt = PromptTemplate.math.render(question: "What is $1+1$?")
        XCTAssertTrue(prompt.hasSuffix("Question: What is $1+1$?\n\nSolution:"))
        XCTAssertEqual(prompt.components(separatedBy: "Question: ").count, 6, "four examples and the question")
    }
}
