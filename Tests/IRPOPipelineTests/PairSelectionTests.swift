import Foundation
@testable import IRPOPipeline
import IRPOTasks
import IRPOTokenizer
import XCTest

final class PairSelectionTests: XCTestCase {
    let tokenizer = CharacterTokenizer()
    let prompt = PromptFormatter(template: .syntheticArithmetic)

    func item(_ id: String) -> TaskItem {
        TaskItem(id: id, question: "Ann has 2 pens. She buys 3 more. How many does Ann have now?", goldAnswer: "5",
                 goldSolution: "2+3=5. Final answer: 5")
    }

    func scored(_ id: String, _ rewards: [Double], text: String = " 2+3=5. Final answer: 5") -> [ScoredRecord] {
        rewards.enumerated().map { ScoredRecord(questionID: id, sampleIndex: $0, completion: text + String($0), reward: $1,
                                                outcome: $1 > 0 ? .correct : .incorrect, extracted: nil) }
    }

    func testRoundRobinPairsTokensAndStatistics() throws {
        var settings = RunConfig.Pairs()
        settings.pairsPerQuestion = 3
        settings.goldAsWinner = false
        let (pairs, stats) = try PairSelection.build(
            items: [item("a"), item("b"), item("c")], scored: scored("a", [1, 0, 0]) + scored("b", [1, 1]) + scored("c", [0, 0]),
            prompt: prompt, settings: settings, maxLength: 1000, tokenizer: tokenizer, seed: 1)
        XCTAssertEqual(pairs.count, 3)
        XCTAssertEqual(pairs.map(\.rejectedSampleIndex), [1, 2, 1])
        XCTAssertEqual(stats.questionsWithPairs, 1)
        XCTAssertEqual(stats.skippedNoLoser, 1)
        XCTAssertEqual(stats.skippedNoWinner, 1)
        XCTAssertEqual(pairs[0].promptIDs, tokenizer.encodePrompt(try prompt.render(item: item("a"))))
        XCTAssertEqual(pairs[0].chosenIDs.last, tokenizer.eos)
        XCTAssertEqual(tokenizer.decode(pairs[0].chosenIDs.map(Int.init)), pairs[0].chosen)
    }

    func testGoldJoinsWinnersAndLongPairsAreDropped() throws {
        var settings = RunConfig.Pairs()
        settings.pairsPerQuestion = 2
        let items = [item("a")]
        let (pairs, _) = try PairSelection.build(items: items, scored: scored("a", [0, 0]), prompt: prompt, settings: settings,
                                                 maxLength: 1000, tokenizer: tokenizer, seed: 1)
        XCTAssertEqual(pairs.map(\.chosen), [" 2+3=5. Final answer: 5", " 2+3=5. Final answer: 5"])
        XCTAssertEqual(pairs.map(\.chosenSampleIndex), [nil, nil])
        let promptLength = tokenizer.encodePrompt(try prompt.render(item: items[0])).count
        let (none, stats) = try PairSelection.build(items: items, scored: scored("a", [0, 0]), prompt: prompt, settings: settings,
                                                    maxLength: promptLength + 5, tokenizer: tokenizer, seed: 1)
        XCTAssertTrue(none.isEmpty)
        XCTAssertEqual(stats.droppedTooLong, 2)
        XCTAssertEqual(stats.questionsWithPairs, 0)
    }

    func testCapKeepsASeededSubsetInOrder() throws {
        var settings = RunConfig.Pairs()
        settings.pairsPerQuestion = 1
        settings.goldAsWinner = false
        settings.maxPairs = 4
        let ids = (0..<10).map { "q\($0)" }
        let build = { (seed: UInt64) in
            try PairSelection.build(items: ids.map(self.item), scored: ids.flatMap { self.scored($0, [1, 0]) }, prompt: self.prompt,
                                    settings: settings, maxLength: 1000, tokenizer: self.tokenizer, seed: seed)
        }
        let (first, stats) = try build(7)
        let (again, _) = try build(7)
        let (other, _) = try build(8)
        XCTAssertEqual(first.count, 4)
        XCTAssertEqual(stats.droppedByCap, 6)
        XCTAssertEqual(first, again, "same seed, same subset")
        XCTAssertNotEqual(first.map(\.questionID), other.map(\.questionID), "another seed, another subset")
        let positions = first.map { ids.firstIndex(of: $0.questionID) ?? -1 }
        XCTAssertEqual(positions, positions.sorted(), "kept in question order")
    }
}
