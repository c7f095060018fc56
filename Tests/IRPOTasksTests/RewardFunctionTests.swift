import XCTest
@testable import IRPOTasks

final class RewardFunctionTests: XCTestCase {
    struct AlwaysFallback: RewardFunction {
        let name = "always"
        func score(completion: String, item: TaskItem) -> RewardResult {
            RewardResult(outcome: completion.isEmpty ? .noAnswer : .correct, method: .lastNumber, extracted: completion)
        }
    }

    func testRewardFollowsOutcome() {
        for outcome in RewardResult.Outcome.allCases {
            XCTAssertEqual(RewardResult(outcome: outcome, method: .finalAnswer, extracted: "x").reward, outcome == .correct ? 1 : 0)
        }
        XCTAssertEqual(RewardResult.noAnswer.reward, 0)
        XCTAssertNil(RewardResult.noAnswer.method)
        XCTAssertFalse(RewardResult.noAnswer.usedFallback)
    }

    func testProtocolConvenience() {
        let item = TaskItem(id: "i", question: "q", goldAnswer: "1")
        XCTAssertEqual(AlwaysFallback().reward(completion: "1", item: item), 1)
        XCTAssertEqual(AlwaysFallback().reward(completion: "", item: item), 0)
        XCTAssertTrue(AlwaysFallback().score(completion: "1", item: item).usedFallback)
    }

    func testResultIsCodable() throws {
        let result = RewardResult(outcome: .ambiguous, method: .hashes, extracted: "12 or 13")
        let data = try JSONEncoder().encode(result)
        XCTAssertEqual(try JSONDecoder().decode(RewardResult.self, from: data), result)
        XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("\"ambiguous\""))
    }
}
