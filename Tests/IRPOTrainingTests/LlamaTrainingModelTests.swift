import Foundation
import IRPOModel
import XCTest
@testable import IRPOTraining

/// The trainer on the real engine: the tiny Llama of the fixtures (vocab 97, hidden 32, 2
/// layers) as policy and reference.
final class LlamaTrainingModelTests: XCTestCase {
    var fixtureModel: String {
        get throws { try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("model").path }
    }

    /// Fixed pairs: winners are runs of consecutive ids, losers are pseudo-random ids.
    func pairs(count: Int) -> [TrainingExample] { ToyData.pairs(count: count, vocabulary: 97, seed: 77) }

    func trainer(_ objective: TrainingObjective, examples: [TrainingExample], model: LlamaTrainingModel, steps: Int,
                 lr: Double = 2e-3, output: URL? = nil, checkpointEvery: Int = 0,
                 maxGradNorm: Double = 1) throws -> Trainer<LlamaTrainingModel> {
        let reference = try ReferenceLogProbs.compute(model: try LlamaTrainingModel(path: try fixtureModel), examples: examples,
                                                      referenceModel: "fixture")
        var configuration = TrainerConfiguration()
        configuration.objective = objective
        configuration.learningRate = lr
        configuration.batchSize = 4
        configuration.microBatchSize = 2
        configuration.maxSteps = steps
        configuration.checkpointEvery = checkpointEvery
        configuration.seed = 5
        configuration.maxGradNorm = maxGradNorm
        return try Trainer(model: model, examples: examples, reference: reference, configuration: configuration, outputDirectory: output)
    }

    /// Gradient check: central differences of the whole objective (DPO + NLL over the step's
    /// pairs, through the Float engine) against the trainer's gradient, for the parameters with
    /// the largest gradients in three tensors.
    func testFullLossFiniteDifferences() throws {
        let examples = pairs(count: 4)
        let model = try LlamaTrainingModel(path: try fixtureModel)
        let objective = TrainingObjective.rpo(alpha: 1, beta: 0.5)
        let trainer = try self.trainer(objective, examples: examples, model: model, steps: 1, lr: 0, maxGradNorm: 0)
        _ = try trainer.step()
        let reference = try XCTUnwrap(trainer.reference)
        func loss() throws -> Double {
            let values = try model.logProbs(examples.map(\.chosenSequence) + examples.map { $0.rejectedSequence! })
            let scores = examples.indices.map { i in
                PairScores(policyChosen: values[i], policyRejected: values[examples.count + i], referenceChosen: reference.chosen[i],
                           referenceRejected: reference.rejected[i], chosenTokens: examples[i].chosen.count,
                           rejectedTokens: examples[i].rejected!.count)
            }
            return objective.evaluate(scores).value
        }
        let layout = model.model.layout
        var checked = 0
        for entry in layout.entries where ["model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.1.mlp.down_proj.weight"].contains(entry.huggingFaceName) {
            let gradient = model.gradients.view(entry.kind, layer: entry.layer)
            let parameters = model.model.parameters.view(entry.kind, layer: entry.layer)
            let top = (0..<gradient.count).sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(2)
            for index in top {
                let original = parameters[index]
                let h: Float = 2e-2
                parameters[index] = original + h
                let plus = try loss()
                parameters[index] = original - h
                let minus = try loss()
                parameters[index] = original
                let numeric = (plus - minus) / Double(2 * h)
                XCTAssertEqual(Double(gradient[index]), numeric, accuracy: 2e-2 * abs(numeric) + 2e-3,
                               "\(entry.huggingFaceName)[\(index)]")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 6)
    }

    /// Pairs whose loser is the winner with one token changed in the middle (like two chains
    /// of thought that differ in one step): DPO's known weak case.
    func nearDuplicatePairs(count: Int) -> [TrainingExample] {
        pairs(count: count).map { example in
            var rejected = example.chosen + example.chosen
            rejected[rejected.count / 2] = (rejected[rejected.count / 2] + 41) % 97
            return TrainingExample(line: example.line, prompt: example.prompt, chosen: example.chosen + example.chosen, rejected: rejected)
        }
    }

    @discardableResult
    func compare(examples: [TrainingExample], label: String, steps: Int = 30) throws
        -> (rpo: (chosen: Double, rejected: Double, margin: Double, start: Double), dpo: (chosen: Double, rejected: Double, margin: Double, start: Double)) {
        func run(_ objective: TrainingObjective) throws -> (chosen: Double, rejected: Double, margin: Double, start: Double) {
            let model = try LlamaTrainingModel(path: try fixtureModel)
            let trainer = try self.trainer(objective, examples: examples, model: model, steps: steps)
            _ = try trainer.train()
            let reference = try XCTUnwrap(trainer.reference)
            let chosen = try model.logProbs(examples.map(\.chosenSequence))
            let rejected = try model.logProbs(examples.map { $0.rejectedSequence! })
            let n = Double(examples.count)
            let margin = examples.indices.reduce(0.0) { sum, i in
                sum + 0.1 * ((chosen[i] - reference.chosen[i]) - (rejected[i] - reference.rejected[i]))
            } / n
            return (chosen.reduce(0, +) / n, rejected.reduce(0, +) / n, margin, reference.chosen.reduce(0, +) / n)
        }
        let rpo = try run(.rpo())
        let dpo = try run(.dpo())
        print("\(label) rpo: logps/chosen \(rpo.start) -> \(rpo.chosen), logps/rejected -> \(rpo.rejected), margin \(rpo.margin)")
        print("\(label) dpo: logps/chosen \(dpo.start) -> \(dpo.chosen), logps/rejected -> \(dpo.rejected), margin \(dpo.margin)")
        return (rpo, dpo)
    }

    /// The paper's finding 2 (the NLL term keeps the chosen log-prob up) on a tiny model: 30
    /// steps (lr 2e-3, batch 4) on 8 fixed pairs, twice: toy pairs (winner a run of consecutive
    /// ids, loser random ids) and near-duplicate pairs (loser = winner with one token changed, as
    /// two chains of thought differing in one step).
    ///
    /// What the runs show (deterministic; printed by `compare`): with `rpo` the chosen log-prob
    /// rises (toy -20.1 -> -1.8, near-duplicate -40.0 -> -4.6) and the margin grows from 0
    /// (2.6, 1.6). With `dpo` the margin grows more (3.3, 2.8) and the rejected log-prob falls
    /// further (-41.8 vs -31.0; -53.8 vs -21.5), but the chosen log-prob ends well below the
    /// rpo run's (-6.4, -25.0). Unlike the paper's 70B runs, the chosen log-prob does NOT fall
    /// under dpo here: this random tiny model starts far below what it can fit, so pushing the
    /// pair apart also lifts the winner (it rises under dpo in every variant we tried, up to 100
    /// steps). So the test asserts the ordering the paper's argument rests on, that the NLL term
    /// keeps the winner higher and DPO alone spends its progress pushing the loser down, not a
    /// fall under dpo.
    func testRPOKeepsChosenLogProbsHigherThanDPO() throws {
        for (label, examples) in [("toy", pairs(count: 8)), ("near-duplicate", nearDuplicatePairs(count: 8))] {
            let (rpo, dpo) = try compare(examples: examples, label: label)
            XCTAssertGreaterThan(rpo.chosen, rpo.start + 10, "\(label): rpo raises the chosen log-prob")
            XCTAssertGreaterThan(rpo.margin, 1, "\(label): rpo grows the margin from 0")
            XCTAssertGreaterThan(dpo.margin, 1, "\(label): dpo grows the margin from 0")
            XCTAssertGreaterThan(rpo.chosen, dpo.chosen + 2, "\(label): the NLL term keeps the winner higher")
            XCTAssertLessThan(dpo.rejected, rpo.rejected - 5, "\(label): dpo pushes the loser further down")
            XCTAssertGreaterThan(dpo.margin, rpo.margin, "\(label): dpo alone maximises the margin")
        }
    }

    /// Resume on the engine: checkpoints every 3 steps (HF folder through
    /// safetensors F32), a run stopped after step 5, the model reloaded from checkpoint-000003
    /// and resumed ends with the same weights bit for bit as an uninterrupted 8-step run.
    func testKillAndResumeIsBitIdentical() throws {
        let examples = pairs(count: 6)   // 2 steps per epoch: the run crosses epochs
        let straight = try ToyData.temporaryDirectory("llama-straight")
        let uninterruptedModel = try LlamaTrainingModel(path: try fixtureModel)
        _ = try trainer(.rpo(), examples: examples, model: uninterruptedModel, steps: 8, output: straight, checkpointEvery: 3).train()

        let output = try ToyData.temporaryDirectory("llama-resumed")
        let first = try trainer(.rpo(), examples: examples, model: try LlamaTrainingModel(path: try fixtureModel), steps: 8,
                                output: output, checkpointEvery: 3)
        let stopped = try first.train { $0.step == 5 ? .stop : .proceed }
        XCTAssertTrue(stopped.stoppedEarly)
        let checkpoint = try XCTUnwrap(Trainer<LlamaTrainingModel>.latestCheckpoint(in: output))
        XCTAssertEqual(checkpoint.lastPathComponent, "checkpoint-000003")
        let restored = try LlamaTrainingModel(path: checkpoint.appendingPathComponent("model").path)
        let resumed = try trainer(.rpo(), examples: examples, model: restored, steps: 8, output: output, checkpointEvery: 3)
        try resumed.resume(from: checkpoint)
        _ = try resumed.train()
        let a = Array(uninterruptedModel.model.parameters.buffer), b = Array(restored.model.parameters.buffer)
        XCTAssertEqual(a.count, b.count)
        XCTAssertTrue(a == b, "resumed weights differ from the uninterrupted run")
        XCTAssertEqual(try String(contentsOf: straight.appendingPathComponent("metrics.jsonl"), encoding: .utf8),
                       try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8))
        // The final model folder loads back with the same weights.
        let final = try LlamaTrainingModel(path: output.appendingPathComponent("model").path)
        XCTAssertTrue(Array(final.model.parameters.buffer) == b)
    }
}
