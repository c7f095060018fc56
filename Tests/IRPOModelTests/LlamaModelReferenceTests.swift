import Foundation
import XCTest
import IRPOFormats
@testable import IRPOModel

/// Compares logits, log-probs and gradients with transformers (fixtures from
/// scripts/make_model_fixtures.py, computed in float64).
final class LlamaModelReferenceTests: XCTestCase {
    private struct Inputs: Decodable {
        let sequences: [[Int32]]
        let score_masks: [[Int]]
        let loss_weights: [Float]
    }

    /// The cases the fixture format promises; each must be present.
    private let expectedCases = ["llama-tied-gqa", "llama-untied-mha", "llama3-rope-scaling", "mistral-rope-theta", "qwen2-bias"]

    func testAllPromisedCasesArePresent() throws {
        XCTAssertEqual(Set(try TestSupport.fixtureCases()).intersection(expectedCases).count, expectedCases.count)
    }

    func testLogitsLogProbsAndGradientsMatchTransformers() throws {
        for name in try TestSupport.fixtureCases() {
            try checkCase(name)
        }
    }

    private func checkCase(_ name: String) throws {
        let folder = try TestSupport.modelFixtures().appendingPathComponent(name)
        let model = try LlamaModel(huggingFaceFolder: folder)
        let inputs = try JSONDecoder().decode(Inputs.self, from: Data(contentsOf: folder.appendingPathComponent("inputs.json")))
        let expected = try SafetensorsFile(contentsOf: folder.appendingPathComponent("expected.safetensors"))
        let vocab = model.configuration.vocabularySize
        let b = inputs.sequences.count, s = inputs.sequences.map(\.count).max() ?? 0
        XCTAssertGreaterThan(Set(inputs.sequences.map(\.count)).count, 1, "\(name): the batch should need padding")

        // Logits at valid positions.
        let logits = try model.logits(inputs.sequences)
        let expectedLogits = try expected.floats("logits")
        XCTAssertEqual(expectedLogits.count, b * s * vocab, name)
        var logitError: Float = 0
        for (index, sequence) in inputs.sequences.enumerated() {
            for position in 0..<sequence.count {
                let base = (index * s + position) * vocab
                for v in 0..<vocab { logitError = max(logitError, abs(logits[base + v] - expectedLogits[base + v])) }
            }
        }
        XCTAssertLessThanOrEqual(logitError, 1e-4, "\(name): max abs logit difference")

        // Log-probs of the scored tokens.
        let batch = TokenBatch(sequences: inputs.sequences, scoreMasks: inputs.score_masks.map { $0.map { $0 != 0 } })
        let pass = try model.forward(batch)
        let expectedTokens = try expected.floats("token_logprobs")
        let expectedSums = try expected.floats("sum_logprobs")
        let expectedCounts = try expected.floats("num_tokens")
        for index in 0..<b {
            XCTAssertEqual(pass.tokenCounts[index], Int(expectedCounts[index]), "\(name): num_tokens[\(index)]")
            XCTAssertEqual(pass.sumLogProbs[index], expectedSums[index], accuracy: 5e-4, "\(name): sum_logprobs[\(index)]")
            for position in 0..<inputs.sequences[index].count {
                XCTAssertEqual(pass.tokenLogProbs[index][position], expectedTokens[index * s + position], accuracy: 1e-4,
                               "\(name): token_logprobs[\(index)][\(position)]")
            }
        }

        // Gradients of loss = sum_b w_b * sum_logprob_b, from one pass and from the two-shard
        // pass the trainer uses.
        let gradients = ParameterBuffer(layout: model.layout)
        model.backward(pass, dSumLogProbs: inputs.loss_weights, into: gradients)
        let sharded = try model.forward(batch, shards: 2)
        XCTAssertEqual(sharded.plan.lanes.count, 2, name)
        for index in 0..<b {
            XCTAssertEqual(sharded.sumLogProbs[index], expectedSums[index], accuracy: 5e-4, "\(name), sharded: sum_logprobs[\(index)]")
        }
        let shardedGradients = ParameterBuffer(layout: model.layout)
        model.backward(sharded, dSumLogProbs: inputs.loss_weights, into: shardedGradients)
        let reference = try model.layout.entries.map { entry -> [Float] in
            try expected.floats("grad." + entry.huggingFaceName)
        }
        XCTAssertEqual(expected.tensorNames.filter { $0.hasPrefix("grad.") }.count, model.layout.entries.count,
                       "\(name): one reference gradient per parameter tensor")
        let globalMax = reference.flatMap { $0 }.map(abs).max() ?? 0
        XCTAssertGreaterThan(globalMax, 0, name)
        var worstGradient: Float = 0
        for (entry, expectedGradient) in zip(model.layout.entries, reference) {
            for (label, buffer) in [("", gradients), (", sharded", shardedGradients)] {
                let ours = Array(buffer.view(entry.kind, layer: entry.layer))
                let error = Self.relativeError(ours, expectedGradient, floor: 1e-3 * globalMax)
                worstGradient = max(worstGradient, error)
                XCTAssertLessThanOrEqual(error, 1e-3, "\(name)\(label): gradient of \(entry.huggingFaceName)")
            }
        }
        print("\(name): max abs logit diff \(logitError), worst gradient relative error \(worstGradient)")
    }

    /// max_i |a_i - b_i| / max(max_i |b_i|, floor): the error relative to the tensor's largest
    /// reference gradient; `floor` (a fraction of the largest gradient of the whole model) keeps
    /// tensors with negligible gradients from dividing by almost nothing.
    static func relativeError(_ a: [Float], _ b: [Float], floor: Float) -> Float {
        precondition(a.count == b.count)
        var difference: Float = 0, scale: Float = floor
        for i in a.indices {
            difference = max(difference, abs(a[i] - b[i]))
            scale = max(scale, abs(b[i]))
        }
        return difference / scale
    }
}
