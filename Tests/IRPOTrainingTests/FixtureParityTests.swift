import Foundation
import IRPOFormats
import IRPOModel
import XCTest
@testable import IRPOTraining

/// Loss, DPO rewards and parameter gradients on the tiny reference Llama match
/// PyTorch's float64 computation of the paper's formula (`rpo`), TRL's token-normalised form
/// (`rpo_sft`) and plain DPO (`dpo`); see Fixtures/README.md.
final class FixtureParityTests: XCTestCase {
    struct Fixture {
        let directory: URL
        let examples: [TrainingExample]
        let expected: SafetensorsFile
    }

    func loadFixture() throws -> Fixture {
        let directory = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let pairsURL = directory.appendingPathComponent("pairs.jsonl")
        let examples = try PreferenceDataset(contentsOf: pairsURL).tokenized()
        let expected = try SafetensorsFile(contentsOf: directory.appendingPathComponent("expected.safetensors"))
        return Fixture(directory: directory, examples: examples, expected: expected)
    }

    func relativeError(_ actual: Double, _ expected: Double) -> Double {
        abs(actual - expected) / max(abs(expected), 1e-12)
    }

    func testLogProbsAndReferenceLogProbsMatch() throws {
        let fixture = try loadFixture()
        let reference = try LlamaTrainingModel(path: fixture.directory.appendingPathComponent("reference").path)
        let values = try ReferenceLogProbs.compute(model: reference, examples: fixture.examples, referenceModel: "fixture")
        let expectedChosen = try fixture.expected.floats("ref_logps.chosen"), expectedRejected = try fixture.expected.floats("ref_logps.rejected")
        for index in fixture.examples.indices {
            XCTAssertLessThan(relativeError(values.chosen[index], Double(expectedChosen[index])), 1e-5)
            XCTAssertLessThan(relativeError(values.rejected[index], Double(expectedRejected[index])), 1e-5)
        }
        let policy = try LlamaTrainingModel(path: fixture.directory.appendingPathComponent("model").path)
        let logps = try policy.logProbs(fixture.examples.map(\.chosenSequence) + fixture.examples.map { $0.rejectedSequence! })
        let expected = try fixture.expected.floats("logps.chosen") + fixture.expected.floats("logps.rejected")
        for (actual, wanted) in zip(logps, expected) { XCTAssertLessThan(relativeError(actual, Double(wanted)), 1e-5) }
        XCTAssertEqual(try fixture.expected.floats("num_tokens.chosen").map(Int.init), fixture.examples.map(\.chosen.count))
    }

    func testRPOPaperFormMatches() throws { try checkVariant("rpo", objective: .rpo(alpha: 1, beta: 0.1, nllNormalization: .perSequence), microBatch: 4) }

    /// The paper's per-sequence NLL and the DPO term are means over pairs, so splitting the
    /// step into micro-batches of one pair gives the same loss and gradient.
    func testRPOPaperFormMatchesWithGradientAccumulation() throws {
        try checkVariant("rpo", objective: .rpo(alpha: 1, beta: 0.1, nllNormalization: .perSequence), microBatch: 1)
    }

    func testTRLTokenNormalisedFormMatches() throws {
        try checkVariant("rpo_sft", objective: .rpo(alpha: 1, beta: 0.1, nllNormalization: .perToken), microBatch: 4)
    }

    func testDPOMatches() throws { try checkVariant("dpo", objective: .dpo(beta: 0.1), microBatch: 4) }

    /// One step with learning rate 0 on all 4 pairs: the metrics of the step and the gradient
    /// buffer are compared with the fixture (loss relative error <= 1e-4, every gradient tensor
    /// within 1e-3 of its largest expected magnitude).
    func checkVariant(_ variant: String, objective: TrainingObjective, microBatch: Int) throws {
        let fixture = try loadFixture()
        let reference = try ReferenceLogProbs.compute(
            model: try LlamaTrainingModel(path: fixture.directory.appendingPathComponent("reference").path),
            examples: fixture.examples, referenceModel: "fixture")
        let policy = try LlamaTrainingModel(path: fixture.directory.appendingPathComponent("model").path)
        var configuration = TrainerConfiguration()
        configuration.objective = objective
        configuration.learningRate = 0
        configuration.batchSize = 4
        configuration.microBatchSize = microBatch
        configuration.maxGradNorm = 0
        configuration.maxSteps = 1
        let trainer = try Trainer(model: policy, examples: fixture.examples, reference: reference,
                                  configuration: configuration, outputDirectory: nil)
        let metrics = try trainer.step()
        let expected = fixture.expected
        XCTAssertLessThan(relativeError(metrics.loss, Double(try expected.floats("\(variant).loss")[0])), 1e-4, "loss")
        XCTAssertLessThan(relativeError(metrics.nll, Double(try expected.floats("\(variant).nll")[0])), 1e-4, "nll")
        func mean(_ name: String) throws -> Double { try expected.floats("\(variant).\(name)").reduce(0.0) { $0 + Double($1) } / 4 }
        XCTAssertEqual(metrics.rewardsChosen ?? .nan, try mean("rewards_chosen"), accuracy: 1e-4 * abs(try mean("rewards_chosen")) + 1e-6)
        XCTAssertEqual(metrics.rewardsRejected ?? .nan, try mean("rewards_rejected"), accuracy: 1e-4 * abs(try mean("rewards_rejected")) + 1e-6)
        XCTAssertEqual(metrics.rewardsMargins ?? .nan, try mean("rewards_margins"), accuracy: 1e-5)
        XCTAssertEqual(metrics.rewardsAccuracies, try mean("rewards_accuracies"))
        XCTAssertLessThan(relativeError(metrics.logpsChosen, try expected.floats("logps.chosen").reduce(0.0) { $0 + Double($1) } / 4), 1e-5)

        var worst = 0.0
        for entry in policy.model.layout.entries {
            let wanted = try expected.floats("\(variant).grad.\(entry.huggingFaceName)")
            let actual = policy.gradients.view(entry.kind, layer: entry.layer)
            XCTAssertEqual(wanted.count, actual.count, entry.huggingFaceName)
            let scale = wanted.reduce(Float(0)) { max($0, abs($1)) }
            XCTAssertGreaterThan(scale, 0, "\(entry.huggingFaceName) has a zero expected gradient")
            var error: Float = 0
            for index in 0..<min(wanted.count, actual.count) { error = max(error, abs(actual[index] - wanted[index])) }
            let relative = Double(error / scale)
            worst = max(worst, relative)
            XCTAssertLessThan(relative, 1e-3, "\(variant) gradient of \(entry.huggingFaceName)")
        }
        // Printed for the record (the assertion above is the check).
        print("\(variant) micro-batch \(microBatch): loss rel err \(relativeError(metrics.loss, Double(try expected.floats("\(variant).loss")[0]))), worst gradient rel err \(worst)")
    }
}
