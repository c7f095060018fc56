import XCTest
@testable import IRPOTasks

final class SyntheticOperationTests: XCTestCase {
    func testApplyAndCompactForm() {
        XCTAssertEqual(SyntheticOperation(kind: .add, operand: 5).apply(to: 7), 12)
        XCTAssertEqual(SyntheticOperation(kind: .subtract, operand: 3).apply(to: 12), 9)
        XCTAssertEqual(SyntheticOperation(kind: .multiply, operand: 2).apply(to: 9), 18)
        XCTAssertEqual(SyntheticOperation(kind: .subtract, operand: 3).compact, "-3")
        XCTAssertEqual(SyntheticArithmeticTask.parseOperations("+5 -3 *2"), [
            SyntheticOperation(kind: .add, operand: 5), SyntheticOperation(kind: .subtract, operand: 3), SyntheticOperation(kind: .multiply, operand: 2),
        ])
        XCTAssertNil(SyntheticArithmeticTask.parseOperations("/2"))
        XCTAssertNil(SyntheticArithmeticTask.parseOperations("+x"))
    }

    func testChainOfThoughtAndSignature() {
        let operations = [SyntheticOperation(kind: .add, operand: 5), SyntheticOperation(kind: .subtract, operand: 3)]
        let (solution, answer) = SyntheticArithmeticTask.chainOfThought(start: 7, operations: operations)
        XCTAssertEqual(solution, "7+5=12. 12-3=9. Final answer: 9")
        XCTAssertEqual(answer, 9)
        XCTAssertEqual(SyntheticArithmeticTask.signature(start: 7, operations: operations), "7|+5|-3")
    }
}
