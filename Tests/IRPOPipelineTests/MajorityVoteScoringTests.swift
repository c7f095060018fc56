import Foundation
import XCTest
@testable import IRPOPipeline
import IRPOTasks
import IRPOBackends
import IRPOGeneration

/// maj@k groups the k extracted answers by the task's normalised form and only then compares the
/// winner with the gold answer: the vote itself never sees the gold answer.
final class MajorityVoteScoringTests: XCTestCase {
    func winner(_ completions: [String], item: TaskItem, reward: any RewardFunction) -> RewardResult? {
        Evaluator.majorityWinner(of: completions.map { reward.score(completion: $0, item: item) })
    }

    let gsm8k = NumericExactMatchReward()
    func numeric(gold: String) -> TaskItem { TaskItem(id: "q", question: "q", goldAnswer: gold) }

    func testEqualValuesWrittenDifferentlyVoteTogether() {
        // 16 is written three ways and 15 (gold) three ways: a tie, so the value seen first (16)
        // wins. Voting by correctness would have given the gold answer 3 votes against 1 each.
        let completions = ["Final answer: 16", "Final answer: 15", "Final answer: $16", "Final answer: 15.0",
                           "Final answer: $15.00", "Final answer: 16.00"]
        let result = winner(completions, item: numeric(gold: "15"), reward: gsm8k)
        XCTAssertEqual(result?.outcome, .incorrect)
        XCTAssertEqual(result?.extracted, "16")
    }

    func testCorrectAnswerWrittenSeveralWaysWins() {
        let completions = ["Final answer: 1,200", "Final answer: 7", "Final answer: $1200", "Final answer: 1200.00",
                           "Final answer: 8", "Final answer: 7.0"]
        let result = winner(completions, item: numeric(gold: "1200"), reward: gsm8k)
        XCTAssertEqual(result?.outcome, .correct)
        XCTAssertEqual(result?.extracted, "1,200")
    }

    func testWrongAnswerWrittenSeveralWaysBeatsASplitCorrectOne() {
        // 7 three ways beats 15 two ways.
        let completions = ["Final answer: 15", "Final answer: 7", "Final answer: 7.0", "Final answer: $7", "Final answer: 15.00"]
        XCTAssertEqual(winner(completions, item: numeric(gold: "15"), reward: gsm8k)?.outcome, .incorrect)
    }

    func testFractionsAndDecimalsOfOneValueAgree() {
        let completions = ["Final answer: 1/2", "Final answer: 0.5", "Final answer: 2", "Final answer: 3"]
        let result = winner(completions, item: numeric(gold: "0.5"), reward: gsm8k)
        XCTAssertEqual(result?.outcome, .correct)
        XCTAssertEqual(NumericAnswer.voteKey(value: ExactNumber(numerator: 1, denominator: 3)!),
                       NumericAnswer.voteKey(value: ExactNumber(numerator: 2, denominator: 6)!))
    }

    func testAnswersWithoutAValueDoNotVoteButAmbiguousOnesDo() {
        // No answer and unparsable answers do not vote; the one readable answer wins.
        let noValue = ["no answer here", "Final answer: I am not sure", "Final answer: 15"]
        XCTAssertEqual(winner(noValue, item: numeric(gold: "15"), reward: gsm8k)?.outcome, .correct)
        // An ambiguous answer repeated beats a single correct one, and counts as wrong.
        let ambiguous = ["Final answer: 12 or 13", "Final answer: 15", "Final answer: 12 or 13 "]
        XCTAssertEqual(winner(ambiguous, item: numeric(gold: "15"), reward: gsm8k)?.outcome, .ambiguous)
        XCTAssertNil(winner(["nothing", "still nothing"], item: numeric(gold: "15"), reward: gsm8k))
    }

    func testMultipleChoiceVotesByOption() {
        let item = TaskItem(id: "arc", question: "q", goldAnswer: "B",
                            choices: [TaskItem.Choice(label: "A", text: "photosynthesis"), TaskItem.Choice(label: "B", text: "respiration"),
                                      TaskItem.Choice(label: "C", text: "evaporation")])
        let reward = MultipleChoiceReward()
        // B written three ways beats A written twice.
        let completions = ["Final answer: A", "Final answer: (B)", "Final answer: (A) photosynthesis", "Final answer: B",
                           "Final answer: respiration"]
        let result = winner(completions, item: item, reward: reward)
        XCTAssertEqual(result?.outcome, .correct)
        // The same answers with gold A: the vote is the same (B), now wrong.
        var goldA = item
        goldA.goldAnswer = "A"
        XCTAssertEqual(winner(completions, item: goldA, reward: reward)?.outcome, .incorrect)
    }

    func testMATHVotesByNormalisedLatex() {
        let reward = MathExactMatchReward()
        let item = TaskItem(id: "m", question: "q", goldAnswer: "\\frac{1}{2}")
        let completions = ["Final answer: \\sqrt{2}", "Final answer: 0.5", "Final answer: \\dfrac{1}{2}", "Final answer: \\sqrt2",
                           "Final answer: 1/2"]
        XCTAssertEqual(winner(completions, item: item, reward: reward)?.outcome, .correct)
        let wrong = ["Final answer: \\sqrt{2}", "Final answer: 0.5", "Final answer: \\sqrt2"]
        XCTAssertEqual(winner(wrong, item: item, reward: reward)?.outcome, .incorrect)
    }
}

/// `evaluation.majority_limit`: the vote covers the first questions only, greedy covers all.
final class MajorityLimitTests: XCTestCase {
    /// Answers greedy requests with the gold answer of odd questions, and every sample with the
    /// gold answer of questions whose index is a multiple of 3; records each request's prompt ids.
    final class ScriptedBackend: InferenceBackend {
        var name: String { "scripted" }
        var requests: [(promptIDs: [Int], samples: Int)] = []
        let golds: [String]
        init(golds: [String]) { self.golds = golds }
        func complete(prompts: [String], promptIDs: [Int], parameters: GenerateParameters, samplesPerPrompt: Int,
                      progress: (Int, Int) -> Void,
                      promptFinished: (Int, [BackendCompletion]) throws -> Void) throws -> [[BackendCompletion]] {
            requests.append((promptIDs, samplesPerPrompt))
            return promptIDs.map { id in
                let right = parameters.temperature == 0 ? id % 2 == 1 : id % 3 == 0
                let text = "Final answer: " + (right ? golds[id] : "-1")
                return (0..<samplesPerPrompt).map { _ in BackendCompletion(text: text, tokenCount: 3, finishReason: .eos) }
            }
        }
    }

    func testTheVoteCoversTheFirstQuestionsOnly() throws {
        let items = (0..<10).map { TaskItem(id: "q\($0)", question: "What is \($0) + 1?", goldAnswer: "\($0 + 1)") }
        var settings = RunConfig.Evaluation()
        settings.majorityK = 4
        settings.majorityLimit = 6
        let backend = ScriptedBackend(golds: items.map(\.goldAnswer))
        let evaluator = Evaluator(reward: NumericExactMatchReward(), prompt: PromptFormatter(template: .gsm8k), settings: settings,
                                  seed: 1, syntheticTask: nil)
        let result = try evaluator.evaluate(items: items, split: "test", backend: backend) { _, _, _ in }
        XCTAssertEqual(backend.requests.map(\.promptIDs), [Array(0..<10), Array(0..<6)])
        XCTAssertEqual(backend.requests.map(\.samples), [1, 4])
        XCTAssertEqual(result.greedyAccuracy, 0.5)               // 1, 3, 5, 7, 9 of 10
        XCTAssertEqual(result.majorityQuestions, 6)
        XCTAssertEqual(result.majorityAccuracy, 2.0 / 6.0)       // 0 and 3 of the first 6
        XCTAssertEqual(result.sampleAccuracy, 2.0 / 6.0)
        // Without a limit the vote covers every question.
        settings.majorityLimit = nil
        let all = try Evaluator(reward: NumericExactMatchReward(), prompt: PromptFormatter(template: .gsm8k), settings: settings,
                                seed: 1, syntheticTask: nil).evaluate(items: items, split: "test", backend: backend) { _, _, _ in }
        XCTAssertEqual(all.majorityQuestions, 10)
        XCTAssertEqual(all.majorityAccuracy, 0.4)                // 0, 3, 6, 9
    }

    func testTheVoteRunsOnTheListedSplitsOnly() throws {
        let items = (0..<4).map { TaskItem(id: "q\($0)", question: "What is \($0) + 1?", goldAnswer: "\($0 + 1)") }
        var settings = RunConfig.Evaluation()
        settings.majorityK = 4
        settings.majoritySplits = ["test"]
        let backend = ScriptedBackend(golds: items.map(\.goldAnswer))
        let evaluator = Evaluator(reward: NumericExactMatchReward(), prompt: PromptFormatter(template: .gsm8k), settings: settings,
                                  seed: 1, syntheticTask: nil)
        let dev = try evaluator.evaluate(items: items, split: "dev", backend: backend) { _, _, _ in }
        XCTAssertEqual(backend.requests.map(\.samples), [1], "dev is decoded greedily only")
        XCTAssertEqual(dev.majorityK, 0)
        XCTAssertNil(dev.majorityAccuracy)
        XCTAssertEqual(dev.greedyAccuracy, 0.5)
        let test = try evaluator.evaluate(items: items, split: "test", backend: backend) { _, _, _ in }
        XCTAssertEqual(backend.requests.map(\.samples), [1, 1, 4])
        XCTAssertEqual(test.majorityK, 4)
        XCTAssertEqual(test.majorityAccuracy, 0.5)                // 0 and 3
    }

    func testTheVotedSplitsAreValidated() throws {
        func config(_ evaluation: String) throws -> RunConfig {
            let folder = FileManager.default.temporaryDirectory.path
            let json = "{\"seed_model\": \"\(folder)\", \"task\": {\"kind\": \"synthetic-arithmetic\"}, \"evaluation\": \(evaluation)}"
            let config = try RunConfig(json: Data(json.utf8), file: "test.json")
            try config.validate()
            return config
        }
        XCTAssertThrowsError(try config("{\"splits\": [\"test\"], \"majority_splits\": [\"dev\"]}")) { error in
            XCTAssertTrue("\(error)".contains("evaluation.majority_splits"), "\(error)")
        }
        XCTAssertThrowsError(try config("{\"majority_splits\": 3}")) { error in
            XCTAssertTrue("\(error)".contains("evaluation.majority_splits"), "\(error)")
        }
        XCTAssertEqual(try config("{\"splits\": [\"dev\", \"test\"], \"majority_splits\": \"test\"}").evaluation.majoritySplits, ["test"])
        XCTAssertNil(try config("{\"majority_splits\": null}").evaluation.majoritySplits)
        XCTAssertNil(try config("{}").evaluation.majoritySplits)
    }

    func testTheLimitIsValidated() throws {
        func config(_ limit: String) throws -> RunConfig {
            let folder = FileManager.default.temporaryDirectory.path   // any existing folder
            let json = "{\"seed_model\": \"\(folder)\", \"task\": {\"kind\": \"synthetic-arithmetic\"}, \"evaluation\": {\"majority_limit\": \(limit)}}"
            let config = try RunConfig(json: Data(json.utf8), file: "test.json")
            try config.validate()
            return config
        }
        for bad in ["0", "-3", "4611686018427387904"] {
            XCTAssertThrowsError(try config(bad)) { error in
                XCTAssertTrue("\(error)".contains("evaluation.majority_limit"), "\(error)")
            }
        }
        XCTAssertEqual(try config("250").evaluation.majorityLimit, 250)
    }
}
