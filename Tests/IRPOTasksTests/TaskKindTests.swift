import XCTest
@testable import IRPOTasks

final class TaskKindTests: XCTestCase {
    func testNamesPromptsAndRewards() throws {
        XCTAssertEqual(try TaskKind(named: "GSM8K"), .gsm8k)
        XCTAssertEqual(try TaskKind(named: " synthetic-arithmetic "), .syntheticArithmetic)
        for kind in TaskKind.allCases {
            XCTAssertNoThrow(try RewardRegistry.standard.reward(named: kind.defaultRewardName), kind.rawValue)
            XCTAssertTrue(kind.defaultPrompt.render(question: "q").contains("q"))
        }
        XCTAssertEqual(TaskKind.arc.defaultPrompt, .arc)
        XCTAssertEqual(TaskKind.math.defaultPrompt.examples.count, 4)
    }

    func testLoadItemsDispatchesOnKind() throws {
        let dir = try TemporaryDirectory()
        let gsm = try dir.write("g.jsonl", #"{"question": "q", "answer": "x\n#### 5"}"# + "\n")
        XCTAssertEqual(try TaskKind.gsm8k.loadItems(path: gsm).first?.goldAnswer, "5")
        let plain = try dir.write("p.jsonl", #"{"question": "q", "answer": "$7"}"# + "\n")
        XCTAssertEqual(try TaskKind.jsonl.loadItems(path: plain).first?.goldAnswer, "7")
        let math = try dir.write("m.jsonl", #"{"problem": "p", "solution": "\\boxed{3}"}"# + "\n")
        XCTAssertEqual(try TaskKind.math.loadItems(path: math).first?.goldAnswer, "3")
        assertTaskError(try TaskKind.arc.loadItems(path: plain), contains: ["p.jsonl:1", "question.choices"])
        assertTaskError(try TaskKind.syntheticArithmetic.loadItems(path: plain), contains: ["'task'", "generated"])
    }

    func testUnknownTaskName() {
        assertTaskError(try TaskKind(named: "synthetic"), contains: ["unknown task 'synthetic'", "Known: gsm8k, arc, math, jsonl, synthetic-arithmetic"])
        assertTaskError(try TaskKind(named: "ark"), contains: ["Did you mean 'arc'?"])
    }
}
