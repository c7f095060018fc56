import Foundation
import IRPOBackends
@testable import IRPOPipeline
import IRPOTasks
import IRPOTokenizer
import IRPOTraining
import XCTest

/// Runs every stage of the demo on a tiny model with a few questions.
final class EndToEndTests: XCTestCase {
    var output: URL!

    override func setUpWithError() throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-e2e-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: output) }

    func testEveryStageWritesItsFilesAndResumeSkipsThem() throws {
        var settings = DemoSettings.tiny
        settings.threads = 1
        var lines: [String] = []
        let evaluations = try Demo(settings: settings, log: { lines.append($0) }).run(output: output)
        XCTAssertEqual(evaluations.map(\.iteration), [0, 1])
        XCTAssertEqual(evaluations[1].splits.map(\.split), ["dev", "test"])
        for split in evaluations.flatMap(\.splits) {
            XCTAssertEqual(split.questions, 6)
            XCTAssertNotNil(split.greedyAccuracy)
            XCTAssertNotNil(split.majorityAccuracy)
            XCTAssertEqual(split.greedyDiagnosis?.values.reduce(0, +), 6, "every greedy completion is diagnosed")
        }

        let run = Demo.runFolder(output: output)
        func exists(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> URL {
            let url = run.appendingPathComponent(path)
            XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), "\(path) is missing", file: file, line: line)
            return url
        }
        let questions = try JSONLines.read(TaskItem.self, from: exists("iter-1/questions.jsonl"))
        XCTAssertEqual(questions.count, 12)
        let samples = try JSONLines.read(SampleRecord.self, from: exists("iter-1/samples.jsonl"))
        XCTAssertEqual(samples.count, 24, "N = 2 samples for 12 questions")
        let scored = try JSONLines.read(ScoredRecord.self, from: exists("iter-1/scored.jsonl"))
        XCTAssertEqual(scored.map(\.completion), samples.map(\.completion))
        let pairs = try JSONLines.read(PairRecord.self, from: exists("iter-1/pairs.jsonl"))
        XCTAssertFalse(pairs.isEmpty)
        let stats = try JSONDecoder().decode(PairStatistics.self, from: Data(contentsOf: exists("iter-1/pair_stats.json")))
        XCTAssertEqual(stats.pairs, pairs.count)
        XCTAssertEqual(stats.questions, 12)
        let trl = try PreferenceDataset(contentsOf: exists("iter-1/pairs.jsonl"))
        XCTAssertTrue(trl.isPreferencePairs, "pairs.jsonl is TRL's prompt/chosen/rejected format")
        let reference = try XCTUnwrap(ReferenceLogProbs.load(from: exists("iter-1/ref_logps.json")))
        XCTAssertEqual(reference.chosen.count, pairs.count)
        let metrics = try JSONLines.read(StepMetrics.self, from: exists("iter-1/train/metrics.jsonl"))
        XCTAssertEqual(metrics.count, (pairs.count + 3) / 4, "one epoch at batch 4")
        XCTAssertNotNil(metrics.first?.logpsRejected)
        _ = exists("iter-1/model/model.safetensors")
        _ = exists("iter-1/model/\(CharacterTokenizer.fileName)")
        let reloaded = try LocalInferenceBackend(modelFolder: run.appendingPathComponent("iter-1/model"), batchSize: 2)
        XCTAssertEqual(reloaded.tokenizer.encodePrompt("Q: 1"), CharacterTokenizer().encodePrompt("Q: 1"))
        _ = try JSONDecoder().decode(IterationEvaluation.self, from: Data(contentsOf: exists("iter-0/eval.json")))
        _ = try JSONDecoder().decode(IterationEvaluation.self, from: Data(contentsOf: exists("iter-1/eval.json")))
        XCTAssertEqual(try JSONLines.read(TaskItem.self, from: exists("data/test.jsonl")).count, 6)
        let state = try RunDirectory(root: run).loadState()
        XCTAssertEqual(state.completed, ["data", "iter-0/eval", "iter-1/sample", "iter-1/score", "iter-1/pair", "iter-1/refcache",
                                         "iter-1/train", "iter-1/eval"])
        let report = try String(contentsOf: exists("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("| M1 |"))
        // Claims 3(b) and 3(c): the iteration-1 baselines on the same pairs, and their log-prob curves.
        XCTAssertTrue(report.contains("| SFT on chosen (STaR, 1 iteration) |"), report)
        XCTAssertTrue(report.contains("| DPO without NLL (alpha = 0, iteration 1) |"), report)
        XCTAssertTrue(report.contains("| RPO iter 1 |") && report.contains("| DPO |") && report.contains("| SFT on chosen |"), report)
        XCTAssertEqual(try JSONLines.read(PairRecord.self, from: exists("baselines/dpo/iter-1/pairs.jsonl")), pairs)
        _ = exists("baselines/sft-chosen/iter-1/model/model.safetensors")
        XCTAssertTrue(try String(contentsOf: exists("logps-baselines.svg"), encoding: .utf8).hasPrefix("<svg"))
        for chart in ["accuracy.svg", "loss.svg", "logps.svg"] {
            XCTAssertTrue(try String(contentsOf: exists(chart), encoding: .utf8).hasPrefix("<svg"))
        }

        // Resume: nothing is redone and the results are the same.
        lines = []
        let again = try Demo(settings: settings, log: { lines.append($0) }).run(output: output)
        XCTAssertEqual(again, evaluations)
        // m0 + 8 RPO stages + 7 stages of each of the two baselines (SFT on chosen, DPO).
        XCTAssertEqual(lines.filter { $0.contains("done earlier, skipped") }.count, 23, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("| DPO without NLL") }, "the demo prints the comparison table: \(lines)")
    }

    func testNoPairIsAClearError() throws {
        var settings = DemoSettings.tiny
        settings.threads = 1
        settings.goldAsWinner = false
        // The 4-step tiny model answers nothing right, so without the gold winner no question has a pair.
        XCTAssertThrowsError(try Demo(settings: settings).run(output: output)) { error in
            XCTAssertTrue("\(error)".contains("iteration 1: no question yielded a pair (12 questions"), "\(error)")
        }
        let state = try RunDirectory(root: Demo.runFolder(output: output)).loadState()
        XCTAssertFalse(state.isDone("iter-1/pair"))
        XCTAssertTrue(state.isDone("iter-1/score"))
    }

    func testExistingRunNeedsResume() throws {
        let folder = output.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try RunDirectory(root: folder).save(RunState())
        var config = RunConfig()
        config.seedModel = output.path
        config.task.kind = "synthetic-arithmetic"
        XCTAssertThrowsError(try IterativeRun(config: config, directory: folder, resume: false)) { error in
            XCTAssertTrue("\(error)".contains("already holds a run; pass --resume"), "\(error)")
        }
    }
}
