import Foundation
import XCTest
@testable import IRPOModel
import IRPOTraining

/// Forward/backward on tiny random models: finite differences, padding, accumulation.
final class LlamaModelTrainingTests: XCTestCase {
    private let sequences: [[Int32]] = [[3, 7, 1, 19, 4, 4, 22], [5, 2, 11], [0, 9, 9, 14, 6]]
    private let masks: [[Bool]] = [
        [false, false, true, true, true, false, true], [false, true, true], [false, false, false, true, true],
    ]
    private let weights: [Float] = [0.8, -1.1, 0.5]

    private func loss(_ model: LlamaModel) throws -> Double {
        let pass = try model.forward(TokenBatch(sequences: sequences, scoreMasks: masks), savingForBackward: false)
        return zip(pass.sumLogProbs, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    func testGradientsMatchFiniteDifferences() throws {
        for (modelType, tied) in [("llama", true), ("qwen2", false)] {
            let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType, tied: tied), seed: 7)
            let gradients = ParameterBuffer(layout: model.layout)
            let pass = try model.forward(TokenBatch(sequences: sequences, scoreMasks: masks))
            model.backward(pass, dSumLogProbs: weights, into: gradients)
            var checked = 0
            for entry in model.layout.entries {
                // The two largest-gradient elements of every tensor.
                let view = gradients.view(entry.kind, layer: entry.layer)
                let order = view.indices.sorted { abs(view[$0]) > abs(view[$1]) }.prefix(2)
                for index in order where abs(view[index]) > 1e-3 {
                    let p = model.parameters.view(entry.kind, layer: entry.layer)
                    let original = p[index], h: Float = 1e-2
                    p[index] = original + h
                    let plus = try loss(model)
                    p[index] = original - h
                    let minus = try loss(model)
                    p[index] = original
                    let numeric = (plus - minus) / (2 * Double(h))
                    let analytic = Double(view[index])
                    XCTAssertEqual(analytic, numeric, accuracy: 2e-2 * max(1, abs(numeric)),
                                   "\(modelType) \(entry.huggingFaceName)[\(index)]")
                    checked += 1
                }
            }
            XCTAssertGreaterThan(checked, model.layout.entries.count, "\(modelType): too few elements checked")
        }
    }

    func testPaddingDoesNotChangeResults() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 3)
        let batch = try model.forward(TokenBatch(sequences: sequences, scoreMasks: masks), savingForBackward: false)
        for index in sequences.indices {
            let alone = try model.forward(TokenBatch(sequences: [sequences[index]], scoreMasks: [masks[index]]), savingForBackward: false)
            XCTAssertEqual(alone.tokenCounts[0], batch.tokenCounts[index])
            XCTAssertEqual(alone.sumLogProbs[0], batch.sumLogProbs[index], accuracy: 1e-4)
            for (a, b) in zip(alone.tokenLogProbs[0], batch.tokenLogProbs[index]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testTrainingAndInferenceForwardAgreeWithLogits() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(tied: true), seed: 5)
        let batch = TokenBatch(sequences: sequences, scoreMasks: masks)
        let training = try model.forward(batch)
        let inference = try model.forward(batch, savingForBackward: false)
        XCTAssertEqual(training.tokenLogProbs, inference.tokenLogProbs)
        XCTAssertEqual(training.tokenCounts, [4, 2, 2])
        // Log-softmax of the logits at position t - 1, gathered at token t.
        let logits = try model.logits(sequences)
        let v = model.configuration.vocabularySize, s = 7
        for (b, sequence) in sequences.enumerated() {
            for t in 1..<sequence.count where masks[b][t] {
                let row = Array(logits[((b * s + t - 1) * v)..<((b * s + t) * v)]).map(Double.init)
                let top = row.max() ?? 0
                let lse = top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
                XCTAssertEqual(Double(training.tokenLogProbs[b][t]), row[Int(sequence[t])] - lse, accuracy: 1e-5)
            }
        }
    }

    func testBackwardAccumulates() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 9)
        let batch = TokenBatch(sequences: sequences, scoreMasks: masks)
        let once = ParameterBuffer(layout: model.layout), twice = ParameterBuffer(layout: model.layout)
        model.backward(try model.forward(batch), dSumLogProbs: weights, into: once)
        model.backward(try model.forward(batch), dSumLogProbs: weights, into: twice)
        model.backward(try model.forward(batch), dSumLogProbs: weights, into: twice)
        XCTAssertGreaterThan(once.sumOfSquares(), 0)
        for i in 0..<once.count { XCTAssertEqual(twice.base[i], 2 * once.base[i], accuracy: 1e-5 * max(1, abs(once.base[i]))) }
    }

    func testBadBatchesAreRejected() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 1)
        let cases: [(TokenBatch, String)] = [
            (TokenBatch(sequences: [[1, 2, 99]]), "token id 99 is outside the vocabulary 0..<23"),
            (TokenBatch(sequences: [[1, 2]], scoreMasks: [[false]]), "score mask has 1 entries"),
            (TokenBatch(sequences: [[1, 2]], scoreMasks: [[true, true]]), "position 0 is marked as scored"),
            (TokenBatch(sequences: [[]]), "sequence 0 is empty"),
            (TokenBatch(sequences: []), "the batch is empty"),
        ]
        for (batch, message) in cases {
            XCTAssertThrowsError(try model.forward(batch)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should contain \(message)")
            }
        }
    }

    func testAdamWMovesAgainstTheGradientAndIsDeterministic() throws {
        func run() throws -> [Float] {
            let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 11)
            let gradients = ParameterBuffer(layout: model.layout)
            let optimizer = AdamWOptimizer(count: model.parameterCount, configuration: AdamWConfiguration(weightDecay: 0))
            let batch = TokenBatch(sequences: sequences)
            var before: Float = 0
            for step in 0..<5 {
                gradients.zero()
                let pass = try model.forward(batch)
                if step == 0 { before = pass.sumLogProbs.reduce(0, +) }
                // Maximise the log-likelihood: d(-sum)/d(sum) = -1.
                model.backward(pass, dSumLogProbs: [-1, -1, -1], into: gradients)
                optimizer.update(parameters: model.parameters.base, gradients: gradients.base, learningRate: 1e-2)
            }
            let after = try model.forward(batch, savingForBackward: false).sumLogProbs.reduce(0, +)
            // Descending on -sum must raise the log-likelihood.
            XCTAssertGreaterThan(after, before + 1)
            return Array(model.parameters.buffer)
        }
        XCTAssertEqual(try run(), try run())
    }
}
