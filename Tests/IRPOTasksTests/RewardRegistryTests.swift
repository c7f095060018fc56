import XCTest
@testable import IRPOTasks

final class RewardRegistryTests: XCTestCase {
    func testStandardNames() throws {
        let registry = RewardRegistry.standard
        XCTAssertEqual(registry.names, ["arc", "gsm8k", "math", "numeric", "numeric-strict", "synthetic-arithmetic"])
        for name in registry.names {
            XCTAssertEqual(try registry.reward(named: name).name, name)
        }
        let item = TaskItem(id: "i", question: "q", goldAnswer: "12")
        XCTAssertEqual(try registry.reward(named: "gsm8k").score(completion: "#### 12", item: item).method, .hashes)
        XCTAssertEqual(try registry.reward(named: "numeric-strict").score(completion: "#### 12", item: item).outcome, .noAnswer)
        XCTAssertEqual(try registry.reward(named: "synthetic-arithmetic").reward(completion: "Final answer: 12", item: item), 1)
    }

    func testUnknownNameSuggestsTheNearest() {
        assertTaskError(try RewardRegistry.standard.reward(named: "gsm8"), contains: ["unknown reward 'gsm8'", "Did you mean 'gsm8k'?", "Known: arc, gsm8k"])
        assertTaskError(try RewardRegistry.standard.reward(named: "MATH"), contains: ["Did you mean 'math'?"])
        assertTaskError(try RewardRegistry.standard.reward(named: "completely-different"), contains: ["unknown reward 'completely-different'", "Known:"])
        XCTAssertThrowsError(try RewardRegistry().reward(named: "gsm8k"))
    }

    func testRegisterReplaces() throws {
        var registry = RewardRegistry()
        registry.register(NumericExactMatchReward(name: "mine", extractor: .strict))
        registry.register(NumericExactMatchReward(name: "mine", extractor: AnswerExtractor(fallbacks: [.hashes])))
        XCTAssertEqual(registry.names, ["mine"])
        let item = TaskItem(id: "i", question: "q", goldAnswer: "3")
        XCTAssertEqual(try registry.reward(named: "mine").reward(completion: "#### 3", item: item), 1)
    }
}
