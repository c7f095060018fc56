import Foundation
import IRPOBackends
import IRPOFormats
import IRPOModel
import IRPOTasks
import IRPOTraining
import XCTest
@testable import IRPOPipeline

/// Kill-and-resume: a run interrupted during sampling, between stages and during training, then
/// resumed, ends with the same files, metrics and bit-identical weights as an uninterrupted run.
final class ResumeTests: XCTestCase {
    var output: URL!

    override func setUpWithError() throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("irpo-resume-\(UUID().uuidString)")
        RunCancellation.reset()
    }

    override func tearDownWithError() throws {
        RunCancellation.reset()
        try? FileManager.default.removeItem(at: output)
    }

    /// Runs `config` in `directory`, throwing at each of `stops` in turn and resuming after each.
    /// - Returns: the points actually hit and every backend call.
    func runInterrupted(_ config: RunConfig, in directory: URL, stops: [RunInterruptionPoint],
                        beforeResume: (Int) throws -> Void = { _ in }) throws -> (hit: [RunInterruptionPoint], calls: [RecordingBackend.Call]) {
        var remaining = stops
        var hit: [RunInterruptionPoint] = []
        var calls: [RecordingBackend.Call] = []
        var attempt = 0
        while true {
            let run = try IterativeRun(config: config, directory: directory, resume: attempt > 0)
            let batch = config.sampling.batchSize
            run.makeBackend = { folder in
                RecordingBackend(inner: try LocalInferenceBackend(modelFolder: folder, batchSize: batch), model: folder.lastPathComponent) {
                    calls.append($0)
                }
            }
            run.interruption = { point in
                if let next = remaining.first, next == point {
                    remaining.removeFirst()
                    hit.append(point)
                    throw TestInterruption(point: point)
                }
            }
            do {
                try run.run()
                return (hit, calls)
            } catch let error as TestInterruption {
                XCTAssertEqual(error.point, hit.last)
                try beforeResume(attempt)
                attempt += 1
            }
        }
    }

    func assertSameOutcome(_ reference: URL, _ resumed: URL, iterations: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = PipelineTestSupport.bytes
        XCTAssertEqual(bytes(reference, "data/test.jsonl"), bytes(resumed, "data/test.jsonl"), file: file, line: line)
        for t in 1...iterations {
            // ref_logps.json names the reference model's folder, which differs between the two runs: compare its values.
            let referenceA = try XCTUnwrap(ReferenceLogProbs.load(from: reference.appendingPathComponent("iter-\(t)/ref_logps.json")))
            let referenceB = try XCTUnwrap(ReferenceLogProbs.load(from: resumed.appendingPathComponent("iter-\(t)/ref_logps.json")))
            XCTAssertEqual(referenceA.chosen, referenceB.chosen, file: file, line: line)
            XCTAssertEqual(referenceA.rejected, referenceB.rejected, file: file, line: line)
            XCTAssertEqual(referenceA.examplesChecksum, referenceB.examplesChecksum, file: file, line: line)
            for name in ["questions.jsonl", "samples.jsonl", "scored.jsonl", "pairs.jsonl", "train/metrics.jsonl",
                         "model/model.safetensors"] {
                let a = bytes(reference, "iter-\(t)/\(name)")
                XCTAssertFalse(a.isEmpty, "iter-\(t)/\(name) is missing", file: file, line: line)
                XCTAssertEqual(a, bytes(resumed, "iter-\(t)/\(name)"), "iter-\(t)/\(name) differs after resume", file: file, line: line)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: resumed.appendingPathComponent("iter-\(t)/samples.partial.jsonl").path),
                           "the partial file is removed once samples.jsonl is written", file: file, line: line)
            for run in [reference, resumed] {
                let names = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("iter-\(t)/train").path)
                XCTAssertFalse(names.contains { $0.hasPrefix("checkpoint-") }, "iteration \(t)'s checkpoints are removed once M\(t) is written: \(names)",
                               file: file, line: line)
            }
        }
        let decoder = JSONDecoder()
        for t in 0...iterations {
            let a = try decoder.decode(IterationEvaluation.self, from: bytes(reference, "iter-\(t)/eval.json"))
            let b = try decoder.decode(IterationEvaluation.self, from: bytes(resumed, "iter-\(t)/eval.json"))
            XCTAssertEqual(a.splits, b.splits, "metrics of M\(t) differ after resume", file: file, line: line)
        }
    }

    func testInterruptedRunEndsLikeAnUninterruptedOne() throws {
        let (_, config) = try PipelineTestSupport.tinyRun(output: output, iterations: 2)
        let reference = output.appendingPathComponent("reference")
        let plain = try runInterrupted(config, in: reference, stops: [])
        XCTAssertTrue(plain.hit.isEmpty)
        let steps = try JSONLines.read(StepMetrics.self, from: reference.appendingPathComponent("iter-1/train/metrics.jsonl")).count
        XCTAssertGreaterThanOrEqual(steps, 3, "the test needs a few training steps to stop in the middle")

        let stops: [RunInterruptionPoint] = [
            .promptsSampled(iteration: 1, prompts: 5),       // during sampling
            .stageFinished("iter-1/pair"),                   // between stages
            .trainingStep(iteration: 1, step: 2),            // during training, after the step-2 checkpoint
            .stageFinished("iter-1/eval"),                   // between iterations
            .promptsSampled(iteration: 2, prompts: 1),       // during sampling from M1
            .trainingStep(iteration: 2, step: 1),
        ]
        let resumed = output.appendingPathComponent("resumed")
        let result = try runInterrupted(config, in: resumed, stops: stops)
        XCTAssertEqual(result.hit, stops, "every interruption point was reached")
        try assertSameOutcome(reference, resumed, iterations: 2)

        // Sampling resumed where it stopped: iteration 1 sampled 5 questions, then only the 7 missing ones.
        let samplingCalls = result.calls.filter { $0.samplesPerPrompt == config.sampling.samplesPerQuestion && $0.temperature == 1 }
        XCTAssertEqual(samplingCalls.map(\.promptIDs.count), [12, 7, 12, 11], "\(samplingCalls)")
        // (Questions finish in any order in a batch, so which 7 remain depends on the engine.)
        XCTAssertEqual(Set(samplingCalls[1].promptIDs).count, 7)
        XCTAssertTrue(Set(samplingCalls[1].promptIDs).isSubset(of: Set(0..<12)))
    }

    /// The loop with `training.lora`: each M_t is a plain model folder (the adapters merged) with
    /// the adapters of iteration t beside its weights in `model/adapter/`, which applied to
    /// M_{t-1} give M_t; interrupted in the middle of both trainings, the run ends bit-identical.
    func testLoRARunMergesEachIterationAndResumesExactly() throws {
        var (_, config) = try PipelineTestSupport.tinyRun(output: output, iterations: 2)
        var lora = LoRASettings()
        lora.rank = 4
        lora.alpha = 8
        config.training.lora = lora
        config.training.trainer.learningRate = 1e-2
        let reference = output.appendingPathComponent("reference")
        _ = try runInterrupted(config, in: reference, stops: [])
        let resumed = output.appendingPathComponent("resumed")
        let stops: [RunInterruptionPoint] = [.trainingStep(iteration: 1, step: 2), .trainingStep(iteration: 2, step: 1)]
        XCTAssertEqual(try runInterrupted(config, in: resumed, stops: stops).hit, stops)
        try assertSameOutcome(reference, resumed, iterations: 2)

        for t in 1...2 {
            let previous = t == 1 ? config.seedModel : reference.appendingPathComponent("iter-\(t - 1)/model").path
            let base = try LlamaModel.loadModel(path: previous)
            let merged = try LlamaModel.loadModel(path: reference.appendingPathComponent("iter-\(t)/model").path)
            let adapters = try LoRAAdapters.loadPEFT(from: reference.appendingPathComponent("iter-\(t)/model/adapter"),
                                                     model: base.configuration)
            XCTAssertEqual(adapters.configuration.rank, 4)
            XCTAssertEqual(adapters.configuration.targets, LoRATarget.allCases)
            let before = Array(base.parameters.buffer)
            adapters.merge(into: base.parameters)
            let after = Array(base.parameters.buffer), saved = Array(merged.parameters.buffer)
            XCTAssertEqual(after.count, saved.count)
            var changed = 0
            for i in after.indices {
                XCTAssertEqual(after[i], saved[i], accuracy: 1e-6, "M\(t) weight \(i) is not M\(t - 1) + its adapters")
                if saved[i] != before[i] { changed += 1 }
            }
            XCTAssertGreaterThan(changed, 0, "iteration \(t)'s training should change M\(t)")
        }
    }

    func testCheckpointSelectionChoosesTheSameStepAfterInterruptions() throws {
        var (_, config) = try PipelineTestSupport.tinyRun(output: output)
        config.training.selectionQuestions = 8
        config.training.selectionEvery = 2
        let reference = output.appendingPathComponent("reference")
        _ = try runInterrupted(config, in: reference, stops: [])
        let heldOut = try JSONLines.read(TaskItem.self, from: reference.appendingPathComponent("data/selection.jsonl"))
        XCTAssertEqual(heldOut.count, 8)
        let pool = Set(try JSONLines.read(TaskItem.self, from: reference.appendingPathComponent("iter-1/questions.jsonl")).map(\.question))
        XCTAssertTrue(heldOut.allSatisfy { !pool.contains($0.question) }, "held-out questions are never trained on")
        let steps = try JSONLines.read(StepMetrics.self, from: reference.appendingPathComponent("iter-1/train/metrics.jsonl")).count
        XCTAssertGreaterThanOrEqual(steps, 3, "the test needs a few training steps to stop in the middle")
        let records = try JSONLines.read(SelectionRecord.self, from: reference.appendingPathComponent("iter-1/train/selection.jsonl"))
        XCTAssertEqual(records.map(\.step), Array(stride(from: 2, through: steps, by: 2)) + (steps % 2 == 0 ? [] : [steps]))
        XCTAssertTrue(records.allSatisfy { $0.questions == 8 })
        // M1 is the best-scoring step's weights (the earliest of equals).
        let best = try XCTUnwrap(records.max { $0.accuracy < $1.accuracy || ($0.accuracy == $1.accuracy && $0.step > $1.step) })
        let bytes = PipelineTestSupport.bytes
        XCTAssertEqual(bytes(reference, "iter-1/model/model.safetensors"),
                       bytes(reference, "iter-1/train/selection/best-step-\(best.step)/model.safetensors"))
        XCTAssertTrue(try String(contentsOf: reference.appendingPathComponent("run.log"), encoding: .utf8).contains("kept step \(best.step)"))
        let report = try String(contentsOf: reference.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("## Checkpoint selection"), report)
        XCTAssertTrue(report.contains("| 1 | 8 | \(best.step) | \(RunReport.percent(best.accuracy)) |"), report)

        // Stop after step 2 (scored and checkpointed) and drop its record, as a kill while scoring a
        // checkpointed step would leave it; then stop after step 3.
        let resumed = output.appendingPathComponent("resumed")
        let stops: [RunInterruptionPoint] = [.trainingStep(iteration: 1, step: 2), .trainingStep(iteration: 1, step: 3)]
        let result = try runInterrupted(config, in: resumed, stops: stops) { attempt in
            guard attempt == 0 else { return }
            let url = resumed.appendingPathComponent("iter-1/train/selection.jsonl")
            XCTAssertEqual(try JSONLines.read(SelectionRecord.self, from: url).map(\.step), [2])
            try Data().write(to: url)
        }
        XCTAssertEqual(result.hit, stops)
        try assertSameOutcome(reference, resumed, iterations: 1)
        XCTAssertEqual(bytes(reference, "iter-1/train/selection.jsonl"), bytes(resumed, "iter-1/train/selection.jsonl"))
    }

    func testAHalfWrittenPartialLineIsDropped() throws {
        let (_, config) = try PipelineTestSupport.tinyRun(output: output)
        let reference = output.appendingPathComponent("reference")
        _ = try runInterrupted(config, in: reference, stops: [])
        let resumed = output.appendingPathComponent("resumed")
        let result = try runInterrupted(config, in: resumed, stops: [.promptsSampled(iteration: 1, prompts: 4)]) { _ in
            // A kill in the middle of writing the 5th question's line leaves it without its newline.
            let partial = resumed.appendingPathComponent("iter-1/samples.partial.jsonl")
            XCTAssertEqual(try JSONLinesAppender.read(PartialSampleRecord.self, from: partial).count, 4)
            let handle = try FileHandle(forWritingTo: partial)
            _ = try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"prompt_index\": 4, \"question_id\": \"x\", \"compl".utf8))
            try handle.close()
        }
        XCTAssertEqual(result.hit.count, 1)
        try assertSameOutcome(reference, resumed, iterations: 1)
    }

    /// A kill leaves hidden temporary files of atomic writers (run files, the model folder, a
    /// checkpoint being written) and a half-written sample line: resuming removes the temporary
    /// files, keeps the complete sample rows, and ends like an uninterrupted run.
    func testResumeRemovesTheLeftoversOfAnInterruptedWrite() throws {
        let (_, config) = try PipelineTestSupport.tinyRun(output: output)
        let reference = output.appendingPathComponent("reference")
        _ = try runInterrupted(config, in: reference, stops: [])
        let resumed = output.appendingPathComponent("resumed")
        let leftovers = [".state.json.tmp-99999", "iter-1/.questions.jsonl.tmp-4242", "iter-1/train/.checkpoint-000002.partial/model/config.json",
                         "iter-1/train/.checkpoint-000002.partial/optimizer.bin", "iter-1/.model.partial/model.safetensors",
                         "iter-1/train/.metrics.jsonl.tmp-0B7C5D2E-96F1-4F0B-9C51-0D9E4C3A7F10"]
        let result = try runInterrupted(config, in: resumed, stops: [.promptsSampled(iteration: 1, prompts: 4)]) { _ in
            for path in leftovers {
                let url = resumed.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data("half".utf8).write(to: url)
            }
            let partial = resumed.appendingPathComponent("iter-1/samples.partial.jsonl")
            let handle = try FileHandle(forWritingTo: partial)
            _ = try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"prompt_index\": 4, \"quest".utf8))
            try handle.close()
        }
        XCTAssertEqual(result.hit.count, 1)
        for path in leftovers {
            XCTAssertFalse(FileManager.default.fileExists(atPath: resumed.appendingPathComponent(path).path), "\(path) is still there")
        }
        for folder in ["iter-1/train/.checkpoint-000002.partial", "iter-1/.model.partial"] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: resumed.appendingPathComponent(folder).path), "\(folder) is still there")
        }
        let hidden = try FileManager.default.subpathsOfDirectory(atPath: resumed.path)
            .filter { $0.split(separator: "/").contains { InterruptedWrites.isTemporaryName(String($0)) } }
        XCTAssertEqual(hidden, [])
        try assertSameOutcome(reference, resumed, iterations: 1)
    }

    func testCancellationRequestStopsAtTheNextPointAndResumes() throws {
        let (_, config) = try PipelineTestSupport.tinyRun(output: output)
        let directory = output.appendingPathComponent("run")
        let run = try IterativeRun(config: config, directory: directory, resume: false)
        run.interruption = { point in
            if point == .stageFinished("iter-1/score") { RunCancellation.request() }
        }
        XCTAssertThrowsError(try run.run()) { error in
            XCTAssertEqual(error as? PipelineError, RunCancellation.error)
        }
        XCTAssertEqual(try RunDirectory(root: directory).loadState().completed.last, "iter-1/score")
        RunCancellation.reset()
        try IterativeRun(config: config, directory: directory, resume: true).run()
        XCTAssertTrue(try RunDirectory(root: directory).loadState().isDone("iter-1/eval"))
    }
}
