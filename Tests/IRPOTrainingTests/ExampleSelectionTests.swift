import XCTest
@testable import IRPOTraining

final class ExampleSelectionTests: XCTestCase {
    func testDropsAndCountsPairsOverTheLimit() throws {
        let examples = [
            TrainingExample(line: 1, prompt: [1, 2], chosen: [3, 4], rejected: [5]),            // 4 tokens
            TrainingExample(line: 2, prompt: [1, 2], chosen: [3], rejected: [5, 6, 7, 8]),      // rejected 6 tokens
            TrainingExample(line: 5, prompt: [1, 2, 3], chosen: [3, 4], rejected: [5]),         // 5 tokens
        ]
        let selection = try ExampleSelection(examples, maxLength: 5, file: "p.jsonl")
        XCTAssertEqual(selection.examples.map(\.line), [1, 5])
        XCTAssertEqual(selection.droppedLines, [2])
        XCTAssertEqual(selection.droppedCount, 1)
        let all = try ExampleSelection(examples, maxLength: 6, file: "p.jsonl")
        XCTAssertEqual(all.droppedCount, 0)
    }

    func testEverythingDroppedIsAClearError() {
        let examples = [TrainingExample(line: 1, prompt: [1, 2], chosen: [3, 4], rejected: [5])]
        XCTAssertThrowsError(try ExampleSelection(examples, maxLength: 3, file: "p.jsonl")) { error in
            XCTAssertTrue("\(error)".contains("all 1 examples are longer than the max length 3 tokens (longest: 4)"), "\(error)")
        }
        XCTAssertThrowsError(try ExampleSelection(examples, maxLength: 1, file: "p.jsonl"))
    }
}
