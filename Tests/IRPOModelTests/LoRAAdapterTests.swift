import Foundation
import XCTest
@testable import IRPOModel
import IRPOTensor

/// Low-rank adapters on tiny random models: gradients against finite differences and against
/// the full backward of the merged model, B = 0 is the base exactly, adapters equal their merge.
final class LoRAAdapterTests: XCTestCase {
    private let sequences: [[Int32]] = [[3, 7, 1, 19, 4, 4, 22], [5, 2, 11], [0, 9, 9, 14, 6]]
    private let masks: [[Bool]] = [
        [false, false, true, true, true, false, true], [false, true, true], [false, false, false, true, true],
    ]
    private let weights: [Float] = [0.8, -1.1, 0.5]
    private var batch: TokenBatch { TokenBatch(sequences: sequences, scoreMasks: masks) }

    /// Target sets that exercise every slot and column of the fused groups.
    private let targetSets: [[LoRATarget]] = [LoRATarget.allCases, [.key, .up, .down], [.query, .value, .gate, .output]]

    /// Adapters with PEFT's A and a random, non-zero B (so every gradient is non-zero).
    private func adapters(for model: LlamaModel, targets: [LoRATarget], rank: Int = 2, alpha: Double = 3) throws -> LoRAAdapters {
        let adapters = try LoRAAdapters(model: model.configuration, lora: LoRAConfiguration(rank: rank, alpha: alpha, targets: targets), seed: 21)
        var generator = SeededGenerator(seed: 99)
        for adapter in adapters.layout.adapters {
            let b = adapters.weights.b(adapter)
            generator.fillNormal(try XCTUnwrap(b.baseAddress), count: b.count, mean: 0, std: 0.3)
        }
        return adapters
    }

    private func loss(_ model: LlamaModel, _ adapters: LoRAAdapters?) throws -> Double {
        let pass = try model.forward(batch, savingForBackward: false, adapters: adapters)
        return zip(pass.sumLogProbs, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    func testAdapterGradientsMatchFiniteDifferences() throws {
        for (modelType, tied) in [("llama", true), ("qwen2", false)] {
            for targets in targetSets {
                let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType, tied: tied), seed: 7)
                let adapters = try self.adapters(for: model, targets: targets)
                let gradients = LoRABuffer(layout: adapters.layout)
                model.backward(try model.forward(batch, adapters: adapters), dSumLogProbs: weights, adapterGradients: gradients)
                var checked = 0
                for adapter in adapters.layout.adapters {
                    for (name, parameters, gradient) in [("A", adapters.weights.a(adapter), gradients.a(adapter)),
                                                         ("B", adapters.weights.b(adapter), gradients.b(adapter))] {
                        let order = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(2)
                        for index in order {
                            XCTAssertGreaterThan(abs(gradient[index]), 1e-4, "\(modelType) \(targets) layer \(adapter.layer) \(adapter.target) \(name): zero gradient")
                            let original = parameters[index], h: Float = 1e-2
                            parameters[index] = original + h
                            let plus = try loss(model, adapters)
                            parameters[index] = original - h
                            let minus = try loss(model, adapters)
                            parameters[index] = original
                            let numeric = (plus - minus) / (2 * Double(h))
                            XCTAssertEqual(Double(gradient[index]), numeric, accuracy: 2e-2 * max(1, abs(numeric)),
                                           "\(modelType) \(targets) layer \(adapter.layer) \(adapter.target) \(name)[\(index)]")
                            checked += 1
                        }
                    }
                }
                XCTAssertEqual(checked, 4 * adapters.layout.adapters.count)
            }
        }
    }

    /// With W' = W + s B A: dL/dB = s G A^T and dL/dA = s B^T G, G the full gradient of W' in the
    /// merged model. Exact up to float rounding, a much tighter check than finite differences.
    func testAdapterGradientsMatchTheMergedModelsWeightGradient() throws {
        for (modelType, tied) in [("llama", false), ("qwen2", true)] {
            for targets in targetSets {
                let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType, tied: tied), seed: 8)
                let adapters = try self.adapters(for: model, targets: targets, rank: 3, alpha: 5)
                let gradients = LoRABuffer(layout: adapters.layout)
                model.backward(try model.forward(batch, adapters: adapters), dSumLogProbs: weights, adapterGradients: gradients)

                let merged = try LlamaModel(configuration: model.configuration)
                merged.parameters.assign(from: model.parameters)
                adapters.merge(into: merged.parameters)
                let full = ParameterBuffer(layout: merged.layout)
                merged.backward(try merged.forward(batch), dSumLogProbs: weights, into: full)

                let r = adapters.layout.rank, s = Double(adapters.scale)
                for adapter in adapters.layout.adapters {
                    let g = full.view(adapter.target.baseKind, layer: adapter.layer)
                    let a = adapters.weights.a(adapter), b = adapters.weights.b(adapter)
                    let dA = gradients.a(adapter), dB = gradients.b(adapter)
                    let out = adapter.outputWidth, input = adapter.inputWidth
                    var largest = 0.0
                    for o in 0..<out {
                        for k in 0..<r {
                            var expected = 0.0
                            for i in 0..<input { expected += Double(g[o * input + i]) * Double(a[k * input + i]) }
                            expected *= s
                            largest = max(largest, abs(expected))
                            XCTAssertEqual(Double(dB[o * r + k]), expected, accuracy: 1e-4 * max(1, abs(expected)),
                                           "\(modelType) \(adapter.target) layer \(adapter.layer) dB[\(o), \(k)]")
                        }
                    }
                    for k in 0..<r {
                        for i in 0..<input {
                            var expected = 0.0
                            for o in 0..<out { expected += Double(b[o * r + k]) * Double(g[o * input + i]) }
                            expected *= s
                            XCTAssertEqual(Double(dA[k * input + i]), expected, accuracy: 1e-4 * max(1, abs(expected)),
                                           "\(modelType) \(adapter.target) layer \(adapter.layer) dA[\(k), \(i)]")
                        }
                    }
                    XCTAssertGreaterThan(largest, 1e-3, "\(adapter.target): the merged gradient should not vanish")
                }
            }
        }
    }

    func testZeroBGivesTheBaseModelExactly() throws {
        for (modelType, tied) in [("llama", true), ("qwen2", false)] {
            let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType, tied: tied), seed: 4)
            let adapters = try LoRAAdapters(model: model.configuration, lora: LoRAConfiguration(rank: 4, alpha: 8), seed: 1)
            // PEFT's initialisation: A random in [-1/sqrt(in), 1/sqrt(in)), B zero.
            for adapter in adapters.layout.adapters {
                let bound = 1 / Float(adapter.inputWidth).squareRoot()
                XCTAssertTrue(adapters.weights.a(adapter).allSatisfy { abs($0) <= bound })
                XCTAssertGreaterThan(adapters.weights.a(adapter).map(abs).max() ?? 0, bound / 2)
                XCTAssertTrue(adapters.weights.b(adapter).allSatisfy { $0 == 0 })
            }
            let base = try model.forward(batch, savingForBackward: false)
            let adapted = try model.forward(batch, savingForBackward: false, adapters: adapters)
            XCTAssertEqual(adapted.tokenLogProbs, base.tokenLogProbs, modelType)
            let training = try model.forward(batch, adapters: adapters)
            XCTAssertEqual(training.tokenLogProbs, base.tokenLogProbs, modelType)
            // Sharded passes pad each part to its own length, so compare with the same plan.
            let sharded = try model.forward(batch, savingForBackward: false, shards: 2, adapters: adapters)
            let shardedBase = try model.forward(batch, savingForBackward: false, shards: 2)
            XCTAssertEqual(sharded.tokenLogProbs, shardedBase.tokenLogProbs, modelType)
        }
    }

    func testAdaptedLogProbsEqualTheMergedModels() throws {
        for (modelType, tied) in [("llama", true), ("qwen2", false)] {
            for targets in targetSets {
                let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(modelType: modelType, tied: tied), seed: 12)
                let adapters = try self.adapters(for: model, targets: targets, rank: 4, alpha: 16)
                let adapted = try model.forward(batch, savingForBackward: false, adapters: adapters)
                let base = try model.forward(batch, savingForBackward: false)
                let merged = try LlamaModel(configuration: model.configuration)
                merged.parameters.assign(from: model.parameters)
                adapters.merge(into: merged.parameters)
                let reference = try merged.forward(batch, savingForBackward: false)
                var moved = 0.0
                for (row, expected) in zip(adapted.tokenLogProbs, reference.tokenLogProbs) {
                    for (value, want) in zip(row, expected) { XCTAssertEqual(value, want, accuracy: 2e-5, "\(modelType) \(targets)") }
                }
                for (row, original) in zip(adapted.tokenLogProbs, base.tokenLogProbs) {
                    for (value, was) in zip(row, original) { moved = max(moved, Double(abs(value - was))) }
                }
                XCTAssertGreaterThan(moved, 1e-2, "\(modelType) \(targets): the adapters should change the model")
            }
        }
    }

    func testShardedBackwardMatchesOnePass() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 13)
        let adapters = try self.adapters(for: model, targets: LoRATarget.allCases)
        let one = LoRABuffer(layout: adapters.layout), sharded = LoRABuffer(layout: adapters.layout)
        model.backward(try model.forward(batch, adapters: adapters), dSumLogProbs: weights, adapterGradients: one)
        let pass = try model.forward(batch, shards: 2, adapters: adapters)
        XCTAssertEqual(pass.plan.lanes.count, 2)
        model.backward(pass, dSumLogProbs: weights, adapterGradients: sharded)
        var norm: Float = 0
        for i in 0..<one.count {
            norm = max(norm, abs(one.base[i]))
            XCTAssertEqual(sharded.base[i], one.base[i], accuracy: 1e-5 * max(1, abs(one.base[i])), "element \(i)")
        }
        XCTAssertGreaterThan(norm, 1e-3)
    }

    func testFrozenBackwardLeavesTheBaseAlone() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 14)
        let before = model.parameters.copy()
        let adapters = try self.adapters(for: model, targets: [.query, .down])
        let gradients = LoRABuffer(layout: adapters.layout)
        model.backward(try model.forward(batch, adapters: adapters), dSumLogProbs: weights, adapterGradients: gradients)
        XCTAssertEqual(Array(model.parameters.buffer), Array(before.buffer))
        // Only q and down of each layer: 2 layers x (A [2, 16] + B [16, 2] for q; A [2, 24] + B [16, 2] for down).
        XCTAssertEqual(adapters.parameterCount, 2 * (2 * 16 + 16 * 2 + 2 * 24 + 16 * 2))
    }

    func testAdaptersForOtherShapesAreRejected() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 1)
        let other = try LoRAAdapters(model: TestSupport.tinyConfiguration(tied: true), lora: LoRAConfiguration(rank: 2, alpha: 2), seed: 1)
        XCTAssertThrowsError(try model.forward(batch, adapters: other)) { error in
            XCTAssertTrue("\(error)".contains("other shapes"), "\(error)")
        }
    }

    func testConfigurationValidation() throws {
        let cases: [(LoRAConfiguration, String)] = [
            (LoRAConfiguration(rank: 0, alpha: 1), "lora.rank = 0"),
            (LoRAConfiguration(rank: 5000, alpha: 1), "lora.rank = 5000"),
            (LoRAConfiguration(rank: 8, alpha: 0), "lora.alpha = 0"),
            (LoRAConfiguration(rank: 8, alpha: .nan), "lora.alpha = nan"),
            (LoRAConfiguration(rank: 8, alpha: 16, dropout: 1), "lora.dropout = 1"),
            (LoRAConfiguration(rank: 8, alpha: 16, dropout: -0.1), "lora.dropout = -0.1"),
            (LoRAConfiguration(rank: 8, alpha: 16, targets: []), "lora.target_modules"),
        ]
        for (configuration, message) in cases {
            XCTAssertThrowsError(try configuration.validate()) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error) should contain \(message)")
            }
        }
        XCTAssertNoThrow(try LoRAConfiguration(rank: 8, alpha: 16).validate())
        XCTAssertNoThrow(try LoRAConfiguration(rank: 8, alpha: 16, dropout: 0.05).validate())
        XCTAssertEqual(try LoRAConfiguration.parseTargets(["all-linear"]), LoRATarget.allCases)
        XCTAssertEqual(try LoRAConfiguration.parseTargets(["down_proj", "q", "Q_PROJ"]), [.query, .down])
        XCTAssertThrowsError(try LoRAConfiguration.parseTargets(["lm_head"])) { error in
            XCTAssertTrue("\(error)".contains("lm_head"), "\(error)")
        }
        XCTAssertEqual(LoRAConfiguration(rank: 8, alpha: 16).scale, 2)
    }
}
