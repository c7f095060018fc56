import Foundation
import IRPOBackends
import IRPOTasks
import IRPOTraining
import XCTest
@testable import IRPOPipeline

/// `irpo compare`: the iteration-1 baselines reuse the RPO run's samples and pairs and differ only in the loss.
final class ComparisonTests: XCTestCase {
    var output: URL!

    override func setUpWithError() throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-compare-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: output) }

    func testBaselinesReuseIterationOneAndDifferOnlyInTheLoss() throws {
        let (_, config) = try PipelineTestSupport.tinyRun(output: output)
        let directory = output.appendingPathComponent("compare")
        var calls: [RecordingBackend.Call] = []
        var comparison = Comparison(config: config, directory: directory)
        let batch = config.sampling.batchSize
        comparison.makeBackend = { folder in
            RecordingBackend(inner: try LocalInferenceBackend(modelFolder: folder, batchSize: batch), model: folder.path) { calls.append($0) }
        }
        let table = try comparison.run(resume: false)

        XCTAssertEqual(table.rows.map(\.title), ["Zero-shot CoT", "SFT on gold CoT", "SFT on chosen (STaR, 1 iteration)",
                                                 "DPO without NLL (alpha = 0, iteration 1)", "Iterative RPO (iteration 1)"])
        let markdown = table.markdown()
        XCTAssertTrue(markdown.hasPrefix("| Method | Test greedy | Test maj@2 | Dev greedy |"), markdown)
        XCTAssertEqual(markdown.split(separator: "\n").count, 7)
        XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent("comparison.md"), encoding: .utf8),
                       "# Comparison (accuracy, %)\n\n" + markdown)

        // Only the RPO run sampled training completions (temperature 1; evaluation's maj@k uses 0.8).
        let sampling = calls.filter { $0.temperature == 1 }
        XCTAssertEqual(sampling.count, 1, "\(calls)")
        XCTAssertEqual(sampling.first?.model, config.seedModel)

        let bytes = PipelineTestSupport.bytes
        for baseline in [Baseline.sftChosen, .dpo] {
            let folder = "baselines/\(baseline.rawValue)/"
            for name in ["iter-1/questions.jsonl", "iter-1/samples.jsonl", "iter-1/pairs.jsonl", "data/test.jsonl", "data/dev.jsonl"] {
                XCTAssertFalse(bytes(directory, name).isEmpty)
                XCTAssertEqual(bytes(directory, folder + name), bytes(directory, name), "\(baseline) has the RPO run's \(name)")
            }
        }
        XCTAssertEqual(bytes(directory, "baselines/dpo/iter-1/ref_logps.json"), bytes(directory, "iter-1/ref_logps.json"))

        func loss(_ baseline: Baseline) throws -> (String, Double) {
            let url = ComparisonTable.baselineFolder(run: directory, baseline: baseline).appendingPathComponent("config.json")
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let training = try XCTUnwrap(object["training"] as? [String: Any])
            return (try XCTUnwrap(training["loss"] as? String), try XCTUnwrap(training["alpha"] as? Double))
        }
        XCTAssertEqual(try loss(.dpo).0, "dpo")
        XCTAssertEqual(try loss(.dpo).1, 0)
        XCTAssertEqual(try loss(.sftChosen).0, "sft")
        XCTAssertEqual(try loss(.sftGold).0, "sft")

        // SFT on gold: one gold solution per question of iteration 1, as SFT rows.
        let questions = try JSONLines.read(TaskItem.self, from: directory.appendingPathComponent("iter-1/questions.jsonl"))
        let gold = try JSONLines.read(GoldSFTRecord.self, from: directory.appendingPathComponent("baselines/sft-gold/iter-1/pairs.jsonl"))
        XCTAssertEqual(gold.map(\.questionID), questions.map(\.id))
        XCTAssertEqual(gold.first?.completion, questions.first.flatMap { q in q.goldSolution.map { config.taskKind.defaultPrompt.completionSeparator + $0 } })

        // The losses train different models from the same seed.
        let weights = ["iter-1/model/model.safetensors", "baselines/dpo/iter-1/model/model.safetensors",
                       "baselines/sft-chosen/iter-1/model/model.safetensors", "baselines/sft-gold/iter-1/model/model.safetensors"]
            .map { bytes(directory, $0) }
        XCTAssertFalse(weights.contains { $0.isEmpty })
        XCTAssertEqual(Set(weights).count, 4)

        // The report compares the iteration-1 log-prob curves.
        let dpoMetrics = try JSONLines.read(StepMetrics.self, from: directory.appendingPathComponent("baselines/dpo/iter-1/train/metrics.jsonl"))
        XCTAssertNotNil(dpoMetrics.first?.logpsRejected)
        let report = try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("## Methods on the same data"), report)
        XCTAssertTrue(report.contains("| RPO iter 1 |"), report)
        XCTAssertTrue(report.contains("| DPO |"), report)
        XCTAssertTrue(report.contains("| SFT on chosen |"), report)
        let chart = try String(contentsOf: directory.appendingPathComponent("logps-baselines.svg"), encoding: .utf8)
        XCTAssertTrue(chart.hasPrefix("<svg") && chart.contains("DPO chosen") && chart.contains("SFT on chosen chosen"), chart)

        // Resuming redoes nothing and gives the same table.
        calls = []
        XCTAssertEqual(try comparison.run(resume: true), table)
        XCTAssertTrue(calls.isEmpty, "\(calls)")
    }

    func testOnlyBaselinesRunTheRPOStagesTheyNeed() throws {
        let (_, config) = try PipelineTestSupport.tinyRun(output: output)
        let directory = output.appendingPathComponent("compare")
        let table = try Comparison(config: config, baselines: [.zeroShot, .dpo], directory: directory).run(resume: false)
        XCTAssertEqual(table.rows.map(\.baseline), [.zeroShot, .dpo])
        let state = try RunDirectory(root: directory).loadState()
        XCTAssertEqual(state.completed.last, "iter-1/refcache", "RPO itself is not trained when not asked for")
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("baselines/sft-chosen").path))
    }

    func testBaselineListIsChecked() {
        XCTAssertEqual(try Baseline.parseList("rpo, dpo,rpo"), [.rpo, .dpo])
        XCTAssertThrowsError(try Baseline.parseList("sft-chosn")) { error in
            XCTAssertTrue("\(error)".contains("unknown baseline \"sft-chosn\" (did you mean \"sft-chosen\"?)"), "\(error)")
        }
        XCTAssertThrowsError(try Baseline.parseList(" , "))
    }
}
