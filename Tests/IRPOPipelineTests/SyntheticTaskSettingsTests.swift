import Foundation
import XCTest
@testable import IRPOPipeline
import IRPOTasks

/// `task.synthetic` and `baselines` in run configs, and the configs the real-model demo builds.
final class SyntheticTaskSettingsTests: XCTestCase {
    var modelFolder: URL!

    override func setUpWithError() throws {
        modelFolder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-synthetic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: modelFolder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: modelFolder) }

    func config(task: String = "", rest: String = "", yaml: Bool = false) throws -> RunConfig {
        let json = "{\"seed_model\": \"\(modelFolder.path)\", \"task\": {\"kind\": \"synthetic-arithmetic\"\(task.isEmpty ? "" : ", " + task)}\(rest.isEmpty ? "" : ", " + rest)}"
        return try RunConfig(json: Data(json.utf8), file: "test.json")
    }

    func message(task: String = "", rest: String = "") -> String {
        do {
            _ = try config(task: task, rest: rest)
            return "no error"
        } catch let error as PipelineError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func testEveryKnobIsRead() throws {
        let c = try config(task: """
        "synthetic": {"steps": [1, 2], "start_range": [2, 9], "operand_range": 3, "multiplier_range": [2, 4], "value_range": [0, 50],
                      "add_weight": 3, "subtract_weight": 1, "multiply_weight": 0.5, "training_rare_probability": 0.1,
                      "evaluation_rare_probability": 0.2, "distractor_probability": 0.3, "max_distractors": 2,
                      "test_fraction": 0.25, "dev_fraction": 0.15, "partition_salt": "fresh"}
        """).task.synthetic.config
        XCTAssertEqual(c.steps, 1...2)
        XCTAssertEqual(c.startRange, 2...9)
        XCTAssertEqual(c.operandRange, 3...3)
        XCTAssertEqual(c.multiplierRange, 2...4)
        XCTAssertEqual(c.valueRange, 0...50)
        XCTAssertEqual([c.addWeight, c.subtractWeight, c.multiplyWeight], [3, 1, 0.5])
        XCTAssertEqual(c.trainingRarePhrasingProbability, 0.1)
        XCTAssertEqual(c.evaluationRarePhrasingProbability, 0.2)
        XCTAssertEqual(c.distractorProbability, 0.3)
        XCTAssertEqual(c.maxDistractors, 2)
        XCTAssertEqual(c.testFraction, 0.25)
        XCTAssertEqual(c.devFraction, 0.15)
        XCTAssertEqual(c.partitionSalt, "fresh")
        XCTAssertEqual(SyntheticTaskSettings.keys.count, 15)
    }

    func testDefaultsAreTheDemoTask() throws {
        XCTAssertEqual(try config().task.synthetic.config, SyntheticArithmeticConfig())
    }

    func testErrorsNameTheKey() {
        XCTAssertTrue(message(task: "\"synthetic\": {\"step\": [1, 2]}").contains("task.synthetic.step"), message(task: "\"synthetic\": {\"step\": [1, 2]}"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"step\": [1, 2]}").contains("steps"), "nearest key suggested")
        XCTAssertTrue(message(task: "\"synthetic\": {\"steps\": [3, 1]}").contains("low <= high"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"steps\": [1, 2, 3]}").contains("task.synthetic.steps"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"steps\": [1.5, 2]}").contains("integer"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"steps\": [0, 20]}").contains("task.synthetic.steps"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"operand_range\": [0, 4]}").contains("task.synthetic.operand_range"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"evaluation_rare_probability\": 2}").contains("task.synthetic.evaluation_rare_probability"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"add_weight\": 0, \"subtract_weight\": 0, \"multiply_weight\": 0}").contains("task.synthetic.add_weight"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"value_range\": [0, 1e30]}").contains("task.synthetic.value_range"))
        XCTAssertTrue(message(task: "\"synthetic\": {\"max_distractors\": 100000}").contains("task.synthetic.max_distractors"))
    }

    func testPartitionSaltDrawsAnotherSplitOfTheSameStructures() throws {
        let plain = try SyntheticArithmeticTask()
        let salted = try SyntheticArithmeticTask(config: SyntheticArithmeticConfig(partitionSalt: "other"))
        let items = try plain.generate(count: 200, partition: .test, phrasing: .evaluation, seed: 3)
        let moved = items.filter { salted.partition(ofSignature: $0.metadata["signature"] ?? "") != .test }
        XCTAssertGreaterThan(moved.count, 100, "most test structures of one salt are train or dev under another")
        // Within one salt, the partitions stay disjoint.
        let test = try salted.generate(count: 200, partition: .test, phrasing: .evaluation, seed: 1)
        let train = try salted.generate(count: 400, partition: .train, phrasing: .evaluation, seed: 1)
        XCTAssertTrue(Set(test.compactMap { $0.metadata["signature"] }).isDisjoint(with: train.compactMap { $0.metadata["signature"] }))
    }

    func testBaselinesHaveTheirOwnSettings() throws {
        let c = try config(rest: """
        "training": {"learning_rate": 1e-5, "beta": 0.1},
        "baselines": {"dpo": {"learning_rate": 3e-6, "beta": 0.5, "epochs": 2}, "sft_chosen": {"learning_rate": 2e-5}}
        """)
        let comparison = Comparison(config: c, directory: modelFolder)
        let dpo = comparison.baselineConfig(.dpo)
        XCTAssertEqual(dpo.training.trainer.learningRate, 3e-6)
        XCTAssertEqual(dpo.training.beta, 0.5)
        XCTAssertEqual(dpo.training.trainer.epochs, 2)
        XCTAssertEqual(dpo.training.alpha, 0)
        XCTAssertEqual(comparison.baselineConfig(.sftChosen).training.trainer.learningRate, 2e-5)
        XCTAssertEqual(comparison.baselineConfig(.sftGold).training.trainer.learningRate, 1e-5, "falls back to training's")
        XCTAssertEqual(comparison.rpoConfig.training.trainer.learningRate, 1e-5)
        XCTAssertEqual(comparison.rpoConfig.baselines, BaselineSettings(), "the RPO run does not depend on the baselines' settings")
        XCTAssertTrue(message(rest: "\"baselines\": {\"dpo\": {\"beta\": -1}}").contains("baselines.dpo.beta"))
        XCTAssertTrue(message(rest: "\"baselines\": {\"sft_chosen\": {\"beta\": 1}}").contains("baselines.sft_chosen.beta"), "SFT has no beta")
        XCTAssertTrue(message(rest: "\"baselines\": {\"ppo\": {}}").contains("baselines.ppo"))
    }

    func testEvaluationItemsFollowTheConfig() throws {
        let c = try config(task: "\"synthetic_dev_questions\": 7, \"synthetic_test_questions\": 5, \"synthetic\": {\"steps\": 1, \"multiply_weight\": 0}")
        let dev = try c.evaluationItems(split: "dev")
        XCTAssertEqual(dev.count, 7)
        XCTAssertTrue(dev.allSatisfy { $0.metadata["partition"] == "dev" && !($0.goldSolution ?? "").contains("*") })
        XCTAssertEqual(try c.evaluationItems(split: "test").count, 5)
    }

    func testRealModelDemoConfigIsValid() throws {
        var settings = RealModelDemoSettings()
        var config = settings.runConfig(seedModel: modelFolder.path)
        XCTAssertNoThrow(try config.validate())
        XCTAssertTrue(config.pairs.goldAsWinner)
        XCTAssertEqual(config.evaluation.splits, ["dev", "test"])
        XCTAssertEqual(config.task.prompt, "gsm8k")
        XCTAssertTrue(config.task.chat)
        settings.variant = .selfGenerated
        settings.devOnly = true
        config = settings.runConfig(seedModel: modelFolder.path)
        XCTAssertFalse(config.pairs.goldAsWinner)
        XCTAssertEqual(config.evaluation.splits, ["dev"])
        XCTAssertEqual([1, 2, 3].map { config.epochs(iteration: $0) }, [3, 1, 1], "self variant: three epochs, then one")
        XCTAssertEqual([1, 2, 3].map { config.learningRate(iteration: $0) }, [3e-5, 1e-5, 1e-5])
        XCTAssertNoThrow(try config.validate())
        settings.variant = .gold
        config = settings.runConfig(seedModel: modelFolder.path)
        XCTAssertEqual([1, 2, 3].map { config.epochs(iteration: $0) }, [1, 1, 1])
        XCTAssertEqual([1, 2, 3].map { config.learningRate(iteration: $0) }, [3e-5, 5e-6, 5e-6])
        XCTAssertGreaterThanOrEqual(settings.testQuestions, 1000)
        XCTAssertGreaterThanOrEqual(settings.devQuestions, 300)
    }
}
