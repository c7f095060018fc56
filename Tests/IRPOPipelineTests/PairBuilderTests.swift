import IRPOFormats
@testable import IRPOPipeline
import IRPOTasks
import XCTest

final class PairBuilderTests: XCTestCase {
    private func sample(_ text: String, _ reward: Double, _ index: Int) -> ScoredSample {
        ScoredSample(completion: text, reward: reward, sampleIndex: index)
    }

    func testRoundRobinWalksWinnersAndLosersInStep() throws {
        let samples = [sample("w0", 1, 0), sample("l0", 0, 1), sample("w1", 1, 2),
                       sample("l1", 0, 3), sample("l2", 0, 4)]
        let builder = PairBuilder(pairsPerQuestion: 5, goldAsWinner: false)
        let pairs = try builder.pairs(questionID: "q", prompt: "p", samples: samples, goldSolution: nil).get()
        XCTAssertEqual(pairs.map(\.chosen.completion), ["w0", "w1", "w0", "w1", "w0"])
        XCTAssertEqual(pairs.map(\.rejected.completion), ["l0", "l1", "l2", "l0", "l1"])
    }

    func testGoldSolutionJoinsWinnersAndRescuesQuestionsWithoutCorrectSamples() throws {
        let samples = [sample("l0", 0, 0), sample("l1", 0, 1)]
        let withGold = PairBuilder(pairsPerQuestion: 3, goldAsWinner: true)
        let pairs = try withGold.pairs(questionID: "q", prompt: "p", samples: samples, goldSolution: "gold").get()
        XCTAssertEqual(pairs.map(\.chosen.completion), ["gold", "gold", "gold"])
        XCTAssertNil(pairs[0].chosen.sampleIndex)
        XCTAssertEqual(pairs.map(\.rejected.completion), ["l0", "l1", "l0"])

        let withoutGold = PairBuilder(pairsPerQuestion: 3, goldAsWinner: false)
        let result = withoutGold.pairs(questionID: "q", prompt: "p", samples: samples, goldSolution: "gold")
        XCTAssertEqual(result.failureReason, .noWinner)
    }

    func testQuestionWithoutLoserIsSkipped() {
        let builder = PairBuilder(pairsPerQuestion: 2, goldAsWinner: true)
        let result = builder.pairs(questionID: "q", prompt: "p", samples: [sample("w", 1, 0)], goldSolution: "g")
        XCTAssertEqual(result.failureReason, .noLoser)
    }
}

private extension Result where Failure == PairSkipError {
    var failureReason: PairSkipReason? {
        if case .failure(let error) = self { return error.reason }
        return nil
    }
}

final class MajorityVoteTests: XCTestCase {
    func testMostFrequentAnswerWins() {
        XCTAssertEqual(MajorityVote.winner(of: ["3", "4", "4", nil, "3", "4"]), "4")
    }

    func testTiesGoToTheEarliestFirstOccurrence() {
        XCTAssertEqual(MajorityVote.winner(of: ["7", "5", "5", "7"]), "7")
        XCTAssertEqual(MajorityVote.winner(of: [nil, "5", "7", "7", "5"]), "5")
    }

    func testNoAnswersGivesNil() {
        XCTAssertNil(MajorityVote.winner(of: [nil, nil]))
        XCTAssertNil(MajorityVote.winner(of: []))
    }
}

final class NameSuggestionInConfigTests: XCTestCase {
    func testSuggestsCloseKeysOnly() {
        let keys = ["samples_per_question", "temperature", "iterations", "learning_rate"]
        XCTAssertEqual(NameSuggestion.nearest(to: "temprature", among: keys), "temperature")
        XCTAssertEqual(NameSuggestion.nearest(to: "iteration", among: keys), "iterations")
        XCTAssertEqual(NameSuggestion.nearest(to: "Learning_Rate", among: keys), "learning_rate")
        XCTAssertNil(NameSuggestion.nearest(to: "zzzzzzzz", among: keys))
    }
}

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesContentAndLeavesNoTemporaryFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-atomic-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("state.json")
        try AtomicFileWriter.write("first", to: url)
        try AtomicFileWriter.writeJSON(["stage": "sample"], to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "{\n  \"stage\" : \"sample\"\n}")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["state.json"])
    }
}
