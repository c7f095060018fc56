import Foundation
import XCTest
@testable import IRPOPipeline

final class RunConfigTests: XCTestCase {
    var modelFolder: URL!

    override func setUpWithError() throws {
        modelFolder = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: modelFolder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: modelFolder) }

    func config(_ body: String) throws -> RunConfig {
        let json = "{\"seed_model\": \"\(modelFolder.path)\", \"task\": {\"kind\": \"synthetic-arithmetic\"}\(body.isEmpty ? "" : ", " + body)}"
        return try RunConfig(json: Data(json.utf8), file: "test.json")
    }

    func message(_ body: String) -> String {
        do {
            _ = try config(body)
            return "no error"
        } catch let error as PipelineError {
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func testDefaultsAreThePapers() throws {
        let c = try config("")
        XCTAssertEqual(c.sampling.samplesPerQuestion, 30)
        XCTAssertEqual(c.sampling.temperatures, [0.8, 0.8, 1.3])
        XCTAssertEqual(c.sampling.parameters(iteration: 1).temperature, 0.8)
        XCTAssertEqual(c.sampling.parameters(iteration: 4).temperature, 1.3, "the last temperature repeats")
        XCTAssertEqual(c.pairs.pairsPerQuestion, 10)
        XCTAssertTrue(c.pairs.goldAsWinner)
        XCTAssertEqual(c.pairs.maxPairs, 60_000)
        XCTAssertEqual(c.training.alpha, 1)
        XCTAssertEqual(c.training.beta, 0.1)
        XCTAssertEqual(c.training.trainer.learningRate, 7e-7)
        XCTAssertEqual(c.training.trainer.batchSize, 16)
        XCTAssertEqual(c.evaluation.majorityK, 32)
        XCTAssertEqual(c.evaluation.majorityTemperature, 0.8)
        XCTAssertEqual(c.iterations, 4)
        let trainer = c.trainerConfiguration(pairCount: 1_000_000)
        XCTAssertEqual(trainer.maxSteps, 5000, "at most 5000 steps per iteration")
        XCTAssertEqual(c.trainerConfiguration(pairCount: 160).maxSteps, 10, "one epoch of 160 pairs at batch 16")
    }

    /// The `config.json` a run writes (this encoding) reads back as the same config, with a
    /// non-default value in every section, so a run directory's config can be fed to `irpo run`.
    func testTheWrittenConfigReadsBackAsTheSameConfig() throws {
        let json = """
            {"seed_model": "\(modelFolder.path)", "name": "round-trip", "iterations": 2, "threads": 1, "seed": 7,
            "task": {"kind": "synthetic-arithmetic", "synthetic_train_questions": 30, "synthetic_test_questions": 20,
                     "synthetic_dev_questions": 10, "fresh_pool_per_iteration": false, "chat": true, "prompt": "gsm8k",
                     "synthetic": {"steps": [2, 3], "add_weight": 2, "partition_salt": "x"}},
            "sampling": {"samples_per_question": 4, "temperatures": [0.7, 1.1], "batch_size": 8, "top_p": 0.95, "top_k": 40,
                         "min_p": 0.05, "max_new_tokens": 64, "stop": ["\\n\\n"]},
            "pairs": {"pairs_per_question": 3, "gold_as_winner": false, "max_pairs": 100},
            "training": {"loss": "dpo", "alpha": 0.5, "beta": 0.2, "nll_normalization": "token", "learning_rate": 3e-5,
                         "schedule": "cosine", "warmup_steps": 2, "batch_size": 8, "micro_batch_size": 2, "epochs": 3,
                         "max_steps": 50, "max_grad_norm": 2, "weight_decay": 0.01, "max_length": 256, "checkpoint_every": 5,
                         "selection_questions": 12, "selection_every": 4, "lora": {"rank": 8, "alpha": 16, "dropout": 0.1}},
            "evaluation": {"greedy": true, "majority_k": 4, "majority_temperature": 0.7, "limit": 50, "majority_limit": 20,
                           "majority_splits": ["test"], "max_new_tokens": 64, "splits": ["test", "dev"], "evaluate_seed_model": false},
            "baselines": {"dpo": {"learning_rate": 1e-5, "beta": 0.3}, "sft_chosen": {"epochs": 2}}}
            """
        let c = try RunConfig(json: Data(json.utf8), file: "test.json")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let written = try encoder.encode(c)
        let read = try RunConfig(json: written, file: "config.json")
        XCTAssertEqual(read, c, String(decoding: written, as: UTF8.self))
        XCTAssertEqual(try encoder.encode(read), written, "writing it again gives the same bytes")
    }

    /// `irpo run --print-config` writes every key as YAML, in the documented order; read back it
    /// is the same config (strings that look like numbers or hold YAML syntax included).
    func testThePrintedConfigReadsBackAsTheSameConfig() throws {
        let c = try config(#""name": "007", "training": {"lora": {"rank": 4}, "iteration_learning_rates": [0.001, 0.0001]}, "#
                           + #""trainer": {"env": {"A": "x: y", "B": "true", "C": "- [a]"}}, "sampling": {"stop": ["\n\nQuestion:", "Q: #1"], "top_p": 0.9}"#)
        let yaml = try c.resolvedYAML()
        XCTAssertEqual(try RunConfig(yaml: yaml), c, yaml)
        XCTAssertTrue(yaml.hasPrefix("name: \"007\"\n"), yaml)
        XCTAssertTrue(yaml.contains("majority_limit: null"), "unset optional keys are listed: \(yaml)")
        XCTAssertTrue(yaml.contains("top_p: 0.9\n"), "a Float is written as the decimal it was read from: \(yaml)")
        let defaults = try config("")
        XCTAssertEqual(try RunConfig(yaml: defaults.resolvedYAML()), defaults)
    }

    func testIterationLearningRatesRepeatTheLastAndLeaveTheBaselinesAtIterationOne() throws {
        let plain = try config("\"training\": {\"learning_rate\": 0.001}")
        XCTAssertEqual([1, 2, 5].map { plain.learningRate(iteration: $0) }, [0.001, 0.001, 0.001])
        let c = try config("\"training\": {\"learning_rate\": 0.003, \"iteration_learning_rates\": [0.003, 0.0005]}")
        XCTAssertEqual([1, 2, 3].map { c.learningRate(iteration: $0) }, [0.003, 0.0005, 0.0005])
        XCTAssertEqual(try config("\"training\": {\"iteration_learning_rates\": 0.002}").learningRate(iteration: 4), 0.002)
        let comparison = Comparison(config: c, baselines: [.dpo, .sftChosen], directory: modelFolder)
        XCTAssertEqual(comparison.baselineConfig(.dpo).learningRate(iteration: 1), 0.003, "a baseline trains at iteration 1's rate")
        XCTAssertNil(comparison.baselineConfig(.dpo).training.iterationLearningRates)
        XCTAssertTrue(message("\"training\": {\"iteration_learning_rates\": [0.001, 2]}").contains("`training.iteration_learning_rates` has value 2.0"))
        XCTAssertTrue(message("\"training\": {\"iteration_learning_rates\": []}").contains("1 to"))
    }

    func testIterationEpochsRepeatTheLastAndSetEachIterationsSteps() throws {
        let plain = try config("\"training\": {\"epochs\": 2}")
        XCTAssertEqual([1, 2, 5].map { plain.epochs(iteration: $0) }, [2, 2, 2])
        let c = try config("\"training\": {\"epochs\": 5, \"batch_size\": 16, \"iteration_epochs\": [3, 1]}")
        XCTAssertEqual([1, 2, 3].map { c.epochs(iteration: $0) }, [3, 1, 1])
        XCTAssertEqual(c.trainerConfiguration(pairCount: 160, iteration: 1).maxSteps, 30, "three epochs of 160 pairs at batch 16")
        XCTAssertEqual(c.trainerConfiguration(pairCount: 160, iteration: 2).maxSteps, 10, "one epoch from iteration 2 on")
        XCTAssertEqual(c.externalTrainerJob(iteration: 3, inputModel: modelFolder, pairs: modelFolder, referenceLogProbs: nil,
                                            output: modelFolder, pairCount: 160).epochs, 1)
        XCTAssertEqual(try config("\"training\": {\"iteration_epochs\": 4}").epochs(iteration: 2), 4)
        let comparison = Comparison(config: c, baselines: [.dpo], directory: modelFolder)
        XCTAssertEqual(comparison.baselineConfig(.dpo).training.trainer.epochs, 3, "a baseline trains for iteration 1's epochs")
        XCTAssertNil(comparison.baselineConfig(.dpo).training.iterationEpochs)
        XCTAssertEqual(try RunConfig(yaml: c.resolvedYAML()), c, "printed and read back")
        XCTAssertTrue(message("\"training\": {\"iteration_epochs\": [1, 0]}").contains("`training.iteration_epochs` has value 0"))
        XCTAssertTrue(message("\"training\": {\"iteration_epochs\": [1.5]}").contains("a list of integers"))
        XCTAssertTrue(message("\"training\": {\"iteration_epochs\": \"two\"}").contains("an integer or a list of integers"))
        XCTAssertTrue(message("\"training\": {\"iteration_epochs\": []}").contains("1 to"))
    }

    func testValuesAreRead() throws {
        let c = try config("\"iterations\": 2, \"sampling\": {\"samples_per_question\": 4, \"temperatures\": 1.0, \"top_p\": 0.9}, \"training\": {\"loss\": \"dpo\", \"beta\": 0.5}")
        XCTAssertEqual(c.iterations, 2)
        XCTAssertEqual(c.sampling.samplesPerQuestion, 4)
        XCTAssertEqual(c.sampling.temperatures, [1.0])
        XCTAssertEqual(c.sampling.generation.topP, 0.9)
        XCTAssertEqual(c.trainerConfiguration(pairCount: 10).objective, .dpo(beta: 0.5))
    }

    func testUnknownKeySuggestsNearest() {
        XCTAssertEqual(message("\"iteratons\": 3"), "unknown config key `iteratons`; did you mean `iterations`?")
        XCTAssertEqual(message("\"sampling\": {\"top_pp\": 0.9}"), "unknown config key `sampling.top_pp`; did you mean `sampling.top_p`?")
        XCTAssertTrue(message("\"training\": {\"zzzzzzzz\": 1}").contains("valid keys here:"))
    }

    func testOutOfRangeValuesNameKeyAndValue() {
        XCTAssertEqual(message("\"training\": {\"beta\": -1}"), "config key `training.beta` has value -1.0, expected a number > 0")
        XCTAssertTrue(message("\"sampling\": {\"samples_per_question\": 0}").contains("`sampling.samples_per_question` has value 0"))
        XCTAssertTrue(message("\"training\": {\"loss\": \"rpp\"}").contains("did you mean \"rpo\""))
        XCTAssertTrue(message("\"sampling\": {\"top_p\": 1.5}").contains("top_p"))
        XCTAssertEqual(message("\"iterations\": \"three\""), "config key `iterations` has value \"three\", expected an integer")
    }

    func testMissingFilesAreNamed() {
        let json = "{\"seed_model\": \"/nonexistent/model\"}"
        XCTAssertThrowsError(try RunConfig(json: Data(json.utf8))) { error in
            XCTAssertTrue("\(error)".contains("`seed_model` has value \"/nonexistent/model\""), "\(error)")
        }
        let gsm = "{\"seed_model\": \"\(modelFolder.path)\", \"task\": {\"kind\": \"gsm8k\", \"train\": \"/nonexistent/train.jsonl\", \"test\": \"/nonexistent/test.jsonl\"}}"
        XCTAssertThrowsError(try RunConfig(json: Data(gsm.utf8))) { error in
            XCTAssertTrue("\(error)".contains("`task.train` has value \"/nonexistent/train.jsonl\""), "\(error)")
        }
        XCTAssertThrowsError(try RunConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/run.json"))) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/run.json does not exist"), "\(error)")
        }
    }

    func testMalformedJSONIsReported() {
        XCTAssertThrowsError(try RunConfig(json: Data("{\"iterations\": 3".utf8), file: "bad.json")) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad.json is not valid JSON"), "\(error)")
        }
    }

    func testCheckpointSelectionSettings() throws {
        let c = try config("\"training\": {\"selection_questions\": 200, \"selection_every\": 5}")
        XCTAssertEqual(c.training.selectionQuestions, 200)
        XCTAssertEqual(c.training.selectionEvery, 5)
        XCTAssertEqual(try config("").training.selectionQuestions, 0, "off unless asked for")
        XCTAssertEqual(message("\"training\": {\"selection_questions\": -1}"),
                       "config key `training.selection_questions` has value -1, expected an integer in 0...\(PipelineLimits.maxQuestions) (0: M_t is the last step)")
        XCTAssertEqual(message("\"training\": {\"selection_every\": 0}"),
                       "config key `training.selection_every` has value 0, expected an integer in 1...\(PipelineLimits.maxSteps)")
        XCTAssertTrue(message("\"training\": {\"selection_question\": 5}").contains("did you mean `training.selection_questions`"))
        XCTAssertTrue(message("\"training\": {\"selection_questions\": 5}, \"trainer\": {\"type\": \"external\", \"command\": [\"true\"]}")
            .contains("checkpoint selection needs the built-in trainer"))
    }
}
