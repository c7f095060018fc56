import Foundation
import XCTest
@testable import IRPOTasks

final class TaskItemTests: XCTestCase {
    func testCodableRoundTripAndDefaults() throws {
        let item = TaskItem(id: "x", question: "q", goldAnswer: "B", goldSolution: nil,
                            choices: [TaskItem.Choice(label: "A", text: "a"), TaskItem.Choice(label: "B", text: "b")],
                            metadata: ["level": "Level 2"])
        let data = try JSONEncoder().encode(item)
        XCTAssertEqual(try JSONDecoder().decode(TaskItem.self, from: data), item)
        let plain = TaskItem(id: "y", question: "q", goldAnswer: "1")
        XCTAssertTrue(plain.choices.isEmpty)
        XCTAssertTrue(plain.metadata.isEmpty)
        XCTAssertNil(plain.goldSolution)
        XCTAssertNotEqual(plain, item)
    }
}
