import Foundation
import XCTest
@testable import IRPOModel
import IRPOTensor

/// Gradient checkpointing (`recomputingLayers`): a training pass keeps only each layer's input
/// and the backward runs the layer's forward again, with the same kernels on the same inputs, so
/// log-probs and every gradient equal the pass that kept everything, bit for bit: full training
/// and adapters, with dropout, attention biases, a quantised frozen base, sharded and not.
final class GradientCheckpointingTests: XCTestCase {
    private let sequences: [[Int32]] = [[3, 7, 1, 19, 4, 4, 22], [5, 2, 11], [0, 9, 9, 14, 6], [8, 8, 1, 2, 17, 3, 3, 12]]
    private var batch: TokenBatch {
        TokenBatch(sequences: sequences, scoreMasks: sequences.map { s in s.indices.map { $0 > 1 } })
    }
    private let weights: [Float] = [0.8, -1.1, 0.5, 0.3]

    private func bits(_ buffer: ParameterBuffer) -> [UInt32] { Array(buffer.buffer).map(\.bitPattern) }
    private func bits(_ buffer: LoRABuffer) -> [UInt32] {
        Array(UnsafeBufferPointer(start: buffer.base, count: buffer.count)).map(\.bitPattern)
    }

    /// Adapters with PEFT's A and a random, non-zero B.
    private func adapters(_ model: LlamaModel, dropout: Double = 0) throws -> LoRAAdapters {
        try TestSupport.randomAdapters(model, dropout: dropout, stream: 4242)
    }

    func testFullTrainingGradientsAreBitIdentical() throws {
        for configuration in [TestSupport.tinyConfiguration(), TestSupport.tinyConfiguration(modelType: "qwen2", tied: true, kvHeads: 1)] {
            let model = try LlamaModel(configuration: configuration, seed: 7)
            let kept = try model.forward(batch)
            let recomputed = try model.forward(batch, recomputingLayers: true)
            XCTAssertTrue(recomputed.recomputesLayers)
            XCTAssertTrue(recomputed.layers.isEmpty, "a recomputing pass keeps no layer activations")
            XCTAssertEqual(recomputed.layerInputs.count, configuration.layerCount)
            XCTAssertEqual(recomputed.sumLogProbs.map(\.bitPattern), kept.sumLogProbs.map(\.bitPattern))
            let expected = ParameterBuffer(layout: model.layout), actual = ParameterBuffer(layout: model.layout)
            model.backward(kept, dSumLogProbs: weights, into: expected)
            model.backward(recomputed, dSumLogProbs: weights, into: actual)
            XCTAssertGreaterThan(Array(expected.buffer).map(abs).max() ?? 0, 0)
            XCTAssertEqual(bits(actual), bits(expected), configuration.modelType)
        }
    }

    func testShardedPassesAreBitIdentical() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 3)
        let expected = ParameterBuffer(layout: model.layout), actual = ParameterBuffer(layout: model.layout)
        model.backward(try model.forward(batch, shards: 2), dSumLogProbs: weights, into: expected)
        model.backward(try model.forward(batch, recomputingLayers: true, shards: 2), dSumLogProbs: weights, into: actual)
        XCTAssertEqual(bits(actual), bits(expected))
    }

    func testAdapterGradientsAreBitIdenticalWithAndWithoutDropout() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 7)
        for dropout in [0, 0.3] {
            let adapters = try self.adapters(model, dropout: dropout)
            let expected = LoRABuffer(layout: adapters.layout), actual = LoRABuffer(layout: adapters.layout)
            let kept = try model.forward(batch, adapters: adapters)
            let recomputed = try model.forward(batch, recomputingLayers: true, adapters: adapters)
            XCTAssertEqual(recomputed.sumLogProbs.map(\.bitPattern), kept.sumLogProbs.map(\.bitPattern))
            model.backward(kept, dSumLogProbs: weights, adapterGradients: expected)
            model.backward(recomputed, dSumLogProbs: weights, adapterGradients: actual)
            XCTAssertGreaterThan(bits(expected).count, 0)
            XCTAssertEqual(bits(actual), bits(expected), "dropout \(dropout)")
            let shardedExpected = LoRABuffer(layout: adapters.layout), shardedActual = LoRABuffer(layout: adapters.layout)
            model.backward(try model.forward(batch, shards: 2, adapters: adapters), dSumLogProbs: weights, adapterGradients: shardedExpected)
            model.backward(try model.forward(batch, recomputingLayers: true, shards: 2, adapters: adapters),
                           dSumLogProbs: weights, adapterGradients: shardedActual)
            XCTAssertEqual(bits(shardedActual), bits(shardedExpected), "sharded, dropout \(dropout)")
        }
    }

    func testAQuantisedFrozenBaseGivesTheSameAdapterGradients() throws {
        let frozen = try LlamaModel(frozenGGUFFile: try GGUFModelTests.ggufFixture("lora-quantized-base"))
        XCTAssertNotNil(frozen.frozenProjections)
        let adapters = try self.adapters(frozen)
        let sequences: [[Int32]] = [[3, 7, 1, 19, 4, 4, 22, 90, 41], [5, 2, 11], [0, 9, 9, 14, 6, 96]]
        let batch = TokenBatch(sequences: sequences)
        let dSum: [Float] = [0.4, -0.9, 1.3]
        let expected = LoRABuffer(layout: adapters.layout), actual = LoRABuffer(layout: adapters.layout)
        frozen.backward(try frozen.forward(batch, adapters: adapters), dSumLogProbs: dSum, adapterGradients: expected)
        frozen.backward(try frozen.forward(batch, recomputingLayers: true, adapters: adapters), dSumLogProbs: dSum,
                        adapterGradients: actual)
        XCTAssertEqual(bits(actual), bits(expected))
    }

    /// The point of it: a recomputing pass holds one layer's worth of activations, not L.
    func testARecomputingPassHoldsLessMemory() throws {
        var configuration = TestSupport.tinyConfiguration()
        configuration.layerCount = 6
        let model = try LlamaModel(configuration: configuration, seed: 1)
        let kept = try model.forward(batch)
        let recomputed = try model.forward(batch, recomputingLayers: true)
        XCTAssertLessThan(recomputed.storage.floatCount * 2, kept.storage.floatCount)
        // A scoring pass ignores the flag.
        let scoring = try model.forward(batch, savingForBackward: false, recomputingLayers: true)
        XCTAssertFalse(scoring.recomputesLayers)
        XCTAssertEqual(scoring.sumLogProbs.map(\.bitPattern), kept.sumLogProbs.map(\.bitPattern))
    }
}
