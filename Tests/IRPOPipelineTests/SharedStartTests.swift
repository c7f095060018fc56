import Foundation
import IRPOBackends
import XCTest
@testable import IRPOPipeline

/// Two variants that differ only in their pairs start from the same M0 evaluation and samples.
final class SharedStartTests: XCTestCase {
    var output: URL!

    override func setUpWithError() throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-shared-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: output) }

    func testSecondRunReusesTheFirstOnesStartAndSamplesNothingForIterationOne() throws {
        var (_, config) = try PipelineTestSupport.tinyRun(output: output)
        config.pairs.goldAsWinner = true
        let gold = output.appendingPathComponent("gold"), own = output.appendingPathComponent("self")
        _ = try Comparison(config: config, baselines: [.zeroShot, .rpo], directory: gold).run(resume: false)

        // The tiny seed model never answers correctly, so both variants keep the gold winner here;
        // what differs is the name and a training setting.
        var selfConfig = config
        selfConfig.name = config.name + "-other"
        selfConfig.training.trainer.learningRate = config.training.trainer.learningRate * 2
        var calls: [RecordingBackend.Call] = []
        var comparison = Comparison(config: selfConfig, baselines: [.zeroShot, .rpo], directory: own)
        comparison.sharedStart = gold
        let batch = config.sampling.batchSize
        comparison.makeBackend = { folder in
            RecordingBackend(inner: try LocalInferenceBackend(modelFolder: folder, batchSize: batch), model: folder.path) { calls.append($0) }
        }
        _ = try comparison.run(resume: true)

        XCTAssertFalse(calls.contains { $0.model == config.seedModel }, "M0 is neither evaluated nor sampled again: \(calls)")
        XCTAssertFalse(calls.isEmpty, "iteration 1's model is evaluated")
        let bytes = PipelineTestSupport.bytes
        for name in ["data/test.jsonl", "iter-0/eval.json", "iter-1/questions.jsonl", "iter-1/samples.jsonl", "iter-1/scored.jsonl"] {
            XCTAssertFalse(bytes(gold, name).isEmpty, name)
            XCTAssertEqual(bytes(own, name), bytes(gold, name), name)
        }
        XCTAssertNotEqual(bytes(own, "iter-1/model/model.safetensors"), bytes(gold, "iter-1/model/model.safetensors"))
        let log = try String(contentsOf: own.appendingPathComponent("run.log"), encoding: .utf8)
        XCTAssertTrue(log.contains("data, iter-0/eval, iter-1/sample, iter-1/score: reused from \(gold.path)"), log)
    }

    func testAnotherSamplingSettingIsNotReused() throws {
        let (_, config) = try PipelineTestSupport.tinyRun(output: output)
        let first = try IterativeRun(config: config, directory: output.appendingPathComponent("a"), resume: false)
        try first.runStages(through: "iter-1/score")

        var other = config
        other.sampling.temperatures = [0.5]
        let second = try IterativeRun(config: other, directory: output.appendingPathComponent("b"), resume: false)
        XCTAssertFalse(try second.adoptSharedStart(from: first.directory))
        XCTAssertTrue(try second.directory.loadState().completed.isEmpty)

        // The same settings under another name are reused; a second call adopts nothing more.
        var renamed = config
        renamed.name = "renamed"
        let third = try IterativeRun(config: renamed, directory: output.appendingPathComponent("c"), resume: false)
        XCTAssertTrue(try third.adoptSharedStart(from: first.directory))
        XCTAssertEqual(try third.directory.loadState().completed, IterativeRun.sharedStartStages)
        XCTAssertFalse(try third.adoptSharedStart(from: first.directory))
    }

    func testConfigsAreComparedWithoutTheKeysAfterTheScores() throws {
        func json(_ object: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: object) }
        let base: [String: Any] = ["name": "a", "seed": 1, "pairs": ["gold_as_winner": true],
                                   "training": ["learning_rate": 1e-5, "selection_questions": 0], "sampling": ["temperatures": [0.8]]]
        var changed = base
        changed["name"] = "b"
        changed["pairs"] = ["gold_as_winner": false]
        changed["training"] = ["learning_rate": 3e-5, "selection_questions": 0]
        XCTAssertTrue(try IterativeRun.sameStart(json(base), json(changed)))
        changed["training"] = ["learning_rate": 3e-5, "selection_questions": 10]
        XCTAssertFalse(try IterativeRun.sameStart(json(base), json(changed)))
        var seed = base
        seed["seed"] = 2
        XCTAssertFalse(try IterativeRun.sameStart(json(base), json(seed)))
        XCTAssertFalse(try IterativeRun.sameStart(Data("[1]".utf8), json(base)))
        XCTAssertFalse(try IterativeRun.sameStart(Data("not json".utf8), json(base)))
    }
}
