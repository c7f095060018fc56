import Foundation
import IRPOTensor
import XCTest
@testable import IRPOTraining

final class TrainerTests: XCTestCase {
    let vocabulary = 13

    func configuration(_ objective: TrainingObjective = .rpo(), steps: Int? = nil) -> TrainerConfiguration {
        var configuration = TrainerConfiguration()
        configuration.objective = objective
        configuration.learningRate = 0.05
        configuration.batchSize = 3
        configuration.microBatchSize = 2
        configuration.maxSteps = steps
        configuration.maxGradNorm = 0
        configuration.seed = 9
        return configuration
    }

    func makeTrainer(_ configuration: TrainerConfiguration, examples: [TrainingExample], output: URL? = nil,
                     model: BigramTestModel? = nil) throws -> (Trainer<BigramTestModel>, BigramTestModel) {
        let model = model ?? BigramTestModel(vocabulary: vocabulary, seed: 4)
        let reference = try ReferenceLogProbs.compute(model: BigramTestModel(vocabulary: vocabulary, seed: 4), examples: examples,
                                                      referenceModel: "bigram-4")
        return (try Trainer(model: model, examples: examples, reference: reference, configuration: configuration,
                            outputDirectory: output), model)
    }

    /// The full objective as a function of the parameters, in Double.
    func fullLoss(_ model: BigramTestModel, examples: [TrainingExample], indices: [Int], reference: ReferenceLogProbs,
                  objective: TrainingObjective) throws -> Double {
        let scores = try indices.map { index in
            let example = examples[index]
            let values = try model.logProbs([example.chosenSequence, example.rejectedSequence!])
            return PairScores(policyChosen: values[0], policyRejected: values[1], referenceChosen: reference.chosen[index],
                              referenceRejected: reference.rejected[index], chosenTokens: example.chosen.count,
                              rejectedTokens: example.rejected!.count)
        }
        return objective.evaluate(scores).value
    }

    /// Gradient check on a differentiable stand-in: the trainer's accumulated gradient (micro-
    /// batches of 2 inside an effective batch of 3) equals central finite differences of the
    /// whole objective over the step's pairs, for several parameters.
    func testAccumulatedGradientMatchesFiniteDifferencesOfTheFullLoss() throws {
        let examples = ToyData.pairs(count: 6, vocabulary: vocabulary, seed: 3)
        // Start away from the reference so the DPO term has a non-trivial gradient.
        let model = BigramTestModel(vocabulary: vocabulary, seed: 5)
        var settings = configuration(.rpo(alpha: 0.7, beta: 0.4))
        settings.learningRate = 0
        let (trainer, _) = try makeTrainer(settings, examples: examples, model: model)
        let reference = try XCTUnwrap(trainer.reference)
        let before = model.parameterArray
        _ = try trainer.step()
        XCTAssertEqual(model.parameterArray, before, "lr 0 leaves the parameters unchanged")
        let stepIndices = Array(BatchPlan(examplesPerStep: 3, examplesPerMicroBatch: 3).stepExamples(order: trainer.orderForTesting(epoch: 0), stepInEpoch: 0))
        let gradient = Array(UnsafeBufferPointer(start: model.gradients, count: model.parameterCount))
        let candidates = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(6)
        XCTAssertGreaterThan(abs(gradient[candidates.first ?? 0]), 1e-3)
        for index in candidates {
            let original = model.parameters[index]
            let h: Float = 1e-2
            model.parameters[index] = original + h
            let plus = try fullLoss(model, examples: examples, indices: stepIndices, reference: reference, objective: settings.objective)
            let actualPlus = Double(model.parameters[index] - original)
            model.parameters[index] = original - h
            let minus = try fullLoss(model, examples: examples, indices: stepIndices, reference: reference, objective: settings.objective)
            let actualMinus = Double(original - model.parameters[index])
            model.parameters[index] = original
            let numeric = (plus - minus) / (actualPlus + actualMinus)
            XCTAssertEqual(Double(gradient[index]), numeric, accuracy: 1e-4 + 1e-3 * abs(numeric), "parameter \(index)")
        }
    }

    func testMicroBatchSizeDoesNotChangeTheGradient() throws {
        let examples = ToyData.pairs(count: 8, vocabulary: vocabulary, seed: 8)
        func gradient(micro: Int) throws -> [Float] {
            var settings = configuration()
            settings.batchSize = 4
            settings.microBatchSize = micro
            let (trainer, model) = try makeTrainer(settings, examples: examples)
            _ = try trainer.step()
            return Array(UnsafeBufferPointer(start: model.gradients, count: model.parameterCount))
        }
        let whole = try gradient(micro: 4), split = try gradient(micro: 1)
        let norm = whole.reduce(0) { $0 + $1 * $1 }.squareRoot()
        XCTAssertGreaterThan(norm, 0)
        for (a, b) in zip(whole, split) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, norm)) }
    }

    func testSameSeedIsBitIdenticalAndMetricsAreWritten() throws {
        let examples = ToyData.pairs(count: 7, vocabulary: vocabulary, seed: 2)
        let output = try ToyData.temporaryDirectory("determinism")
        let (first, firstModel) = try makeTrainer(configuration(steps: 5), examples: examples, output: output)
        var seen: [Int] = []
        let summary = try first.train { seen.append($0.step); return .proceed }
        let (second, secondModel) = try makeTrainer(configuration(steps: 5), examples: examples)
        _ = try second.train()
        XCTAssertEqual(firstModel.parameterArray, secondModel.parameterArray)
        XCTAssertEqual(seen, [1, 2, 3, 4, 5])
        XCTAssertEqual(summary.completedSteps, 5)
        XCTAssertFalse(summary.stoppedEarly)
        let lines = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[0].contains("\"rewards/margins\""))
        XCTAssertNotNil(summary.finalModel)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output.appendingPathComponent("model/weights.bin").path))
        XCTAssertNotNil(Trainer<BigramTestModel>.latestCheckpoint(in: output))
    }

    /// Resume on the stand-in (the Llama version is in LlamaTrainingTests): stop after
    /// step 7 with checkpoints every 3 steps, load the model from the last checkpoint (step 6,
    /// an epoch boundary with 3 steps per epoch) and resume: weights and metrics.jsonl equal the
    /// uninterrupted run's bit for bit.
    func testKillAndResumeIsBitIdentical() throws {
        let examples = ToyData.pairs(count: 7, vocabulary: vocabulary, seed: 2)
        var settings = configuration(steps: 10)
        settings.checkpointEvery = 3
        settings.scheduleKind = .cosine
        settings.warmupSteps = 2
        let straight = try ToyData.temporaryDirectory("straight")
        let (uninterrupted, uninterruptedModel) = try makeTrainer(settings, examples: examples, output: straight)
        _ = try uninterrupted.train()

        let output = try ToyData.temporaryDirectory("resumed")
        let (interrupted, _) = try makeTrainer(settings, examples: examples, output: output)
        let partial = try interrupted.train { $0.step == 7 ? .stop : .proceed }
        XCTAssertTrue(partial.stoppedEarly)
        XCTAssertEqual(partial.completedSteps, 7)
        let checkpoint = try XCTUnwrap(Trainer<BigramTestModel>.latestCheckpoint(in: output))
        XCTAssertEqual(checkpoint.lastPathComponent, "checkpoint-000006")

        let restored = try BigramTestModel.load(from: checkpoint.appendingPathComponent("model"), vocabulary: vocabulary)
        let (resumed, resumedModel) = try makeTrainer(settings, examples: examples, output: output, model: restored)
        try resumed.resume(from: checkpoint)
        XCTAssertEqual(resumed.completedSteps, 6)
        _ = try resumed.train()
        XCTAssertEqual(resumedModel.parameterArray, uninterruptedModel.parameterArray)
        let metricsA = try String(contentsOf: straight.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let metricsB = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(metricsA, metricsB)
        // The checkpoint limit (2) keeps the newest step checkpoints only.
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasPrefix("checkpoint-") }.sorted()
        XCTAssertEqual(names, ["checkpoint-000009", "checkpoint-000010"])
    }

    func testResumeRefusesOtherSettingsOrOtherWeights() throws {
        let examples = ToyData.pairs(count: 7, vocabulary: vocabulary, seed: 2)
        var settings = configuration(steps: 4)
        settings.checkpointEvery = 2
        let output = try ToyData.temporaryDirectory("resume-mismatch")
        let (trainer, _) = try makeTrainer(settings, examples: examples, output: output)
        _ = try trainer.train { $0.step == 3 ? .stop : .proceed }
        let checkpoint = output.appendingPathComponent("checkpoint-000002")
        // Weights not loaded from the checkpoint.
        let (fresh, _) = try makeTrainer(settings, examples: examples, output: output)
        XCTAssertThrowsError(try fresh.resume(from: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("weights differ"), "\(error)")
        }
        // Another learning rate.
        var other = settings
        other.learningRate = 0.01
        let restored = try BigramTestModel.load(from: checkpoint.appendingPathComponent("model"), vocabulary: vocabulary)
        let (changed, _) = try makeTrainer(other, examples: examples, output: output, model: restored)
        XCTAssertThrowsError(try changed.resume(from: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("learningRate (0.05 in the checkpoint, 0.01 now)"), "\(error)")
        }
        // Damaged optimizer state.
        try Data([1, 2, 3]).write(to: checkpoint.appendingPathComponent("optimizer.bin"))
        let (damaged, _) = try makeTrainer(settings, examples: examples, output: output, model: restored)
        XCTAssertThrowsError(try damaged.resume(from: checkpoint)) { error in
            XCTAssertTrue("\(error)".contains("optimizer.bin has 3 bytes"), "\(error)")
        }
    }

    /// A NaN injected into the weights after step 5 stops step 6 with an error
    /// naming the step; the last good checkpoint (step 4) is intact and resumes to the same
    /// weights an uninterrupted run has at step 4.
    func testNaNStopsWithTheStepAndKeepsTheCheckpoint() throws {
        let examples = ToyData.pairs(count: 7, vocabulary: vocabulary, seed: 2)
        var settings = configuration(steps: 10)
        settings.checkpointEvery = 2
        let output = try ToyData.temporaryDirectory("nan")
        let (trainer, model) = try makeTrainer(settings, examples: examples, output: output)
        XCTAssertThrowsError(try trainer.train { metrics in
            if metrics.step == 5 { model.parameters.update(repeating: .nan, count: model.parameterCount) }
            return .proceed
        }) { error in
            guard case let TrainingError.nonFinite(step, _, checkpoint) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(step, 6)
            XCTAssertEqual(checkpoint, output.appendingPathComponent("checkpoint-000004").path)
            XCTAssertTrue("\(error)".contains("training stopped at step 6"), "\(error)")
        }
        let lines = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)

        var four = settings
        four.maxSteps = 10
        let (reference, referenceModel) = try makeTrainer(four, examples: examples)
        for _ in 0..<4 { _ = try reference.step() }
        let checkpoint = output.appendingPathComponent("checkpoint-000004")
        let restored = try BigramTestModel.load(from: checkpoint.appendingPathComponent("model"), vocabulary: vocabulary)
        XCTAssertEqual(restored.parameterArray, referenceModel.parameterArray)
        let (resumed, _) = try makeTrainer(settings, examples: examples, output: output, model: restored)
        XCTAssertNoThrow(try resumed.resume(from: checkpoint))
    }

    func testNonFiniteGradientIsCaughtBeforeTheUpdate() throws {
        let examples = ToyData.pairs(count: 7, vocabulary: vocabulary, seed: 2)
        let model = BigramTestModel(vocabulary: vocabulary, seed: 4)
        model.poisonGradientAtForward = 3   // step 2's first micro-batch (2 micro-batches per step)
        let (trainer, _) = try makeTrainer(configuration(steps: 4), examples: examples, model: model)
        _ = try trainer.step()
        let before = model.parameterArray
        XCTAssertThrowsError(try trainer.step()) { error in
            XCTAssertEqual(error as? TrainingError, .nonFinite(step: 2, what: "the gradient (norm inf)", checkpoint: nil))
        }
        XCTAssertEqual(model.parameterArray, before)
    }

    func testDataTheObjectiveCannotUseIsRejected() throws {
        let sft = [TrainingExample(line: 4, prompt: [1], chosen: [2, 3], rejected: nil)]
        XCTAssertThrowsError(try Trainer(model: BigramTestModel(vocabulary: vocabulary, seed: 1), examples: sft, reference: nil,
                                         configuration: configuration(), outputDirectory: nil)) { error in
            XCTAssertTrue("\(error)".contains("line 4 has no `rejected`"), "\(error)")
        }
        let pairs = ToyData.pairs(count: 2, vocabulary: vocabulary, seed: 1)
        XCTAssertThrowsError(try Trainer(model: BigramTestModel(vocabulary: vocabulary, seed: 1), examples: pairs, reference: nil,
                                         configuration: configuration(), outputDirectory: nil))
        // SFT needs neither losers nor reference values, and lowers the NLL.
        let model = BigramTestModel(vocabulary: vocabulary, seed: 1)
        let trainer = try Trainer(model: model, examples: sft, reference: nil, configuration: configuration(.sft(), steps: 5), outputDirectory: nil)
        let first = try trainer.step()
        var last = first
        for _ in 0..<4 { last = try trainer.step() }
        XCTAssertLessThan(last.nll, first.nll)
        XCTAssertNil(last.rewardsMargins)
    }
}

extension Trainer {
    /// The order of `epoch` as a fresh trainer with this seed draws it (test helper).
    func orderForTesting(epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: configuration.seed)
        var order: [Int] = []
        for _ in 0...epoch { order = BatchPlan.shuffledOrder(count: examples.count, generator: &generator) }
        return order
    }
}
