import Foundation
import XCTest
@testable import IRPOModel
import IRPOTensor

/// Adapter dropout: training passes mask the adapters' input (finite differences through the
/// masks, which the backward regenerates), scoring passes do not, and the masks drop about p.
final class LoRADropoutTests: XCTestCase {
    private let sequences: [[Int32]] = [[3, 7, 1, 19, 4, 4, 22], [5, 2, 11], [0, 9, 9, 14, 6]]
    private var batch: TokenBatch { TokenBatch(sequences: sequences) }
    private let weights: [Float] = [0.8, -1.1, 0.5]

    private func adapters(_ model: LlamaModel, dropout: Double) throws -> LoRAAdapters {
        try TestSupport.randomAdapters(model, dropout: dropout, stream: 12345)
    }

    func testMasksDropAboutPAndScaleTheRest() {
        let rows = 200, columns = 100
        let input = [Float](repeating: 1, count: rows * columns)
        var output = [Float](repeating: .nan, count: rows * columns)
        for p: Float in [0.1, 0.5] {
            let dropout = LoRADropout(probability: p, key: 77)
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    dropout.apply(x.baseAddress!, into: y.baseAddress!, rows: rows, columns: columns, layer: 1, group: .mlpInput)
                }
            }
            let dropped = output.filter { $0 == 0 }.count
            XCTAssertEqual(Double(dropped) / Double(rows * columns), Double(p), accuracy: 0.02)
            XCTAssertTrue(output.allSatisfy { $0 == 0 || $0 == 1 / (1 - p) })
            // Another layer, group or key draws another mask.
            var other = output
            input.withUnsafeBufferPointer { x in
                other.withUnsafeMutableBufferPointer { y in
                    dropout.apply(x.baseAddress!, into: y.baseAddress!, rows: rows, columns: columns, layer: 2, group: .mlpInput)
                }
            }
            XCTAssertNotEqual(other, output)
        }
    }

    func testScoringPassesHaveNoDropoutAndTrainingPassesDo() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 7)
        let plain = try adapters(model, dropout: 0)
        let dropped = try adapters(model, dropout: 0.3)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: plain.weights.base, count: plain.weights.count)),
                       Array(UnsafeBufferPointer(start: dropped.weights.base, count: dropped.weights.count)))
        let scoring = try model.forward(batch, savingForBackward: false, adapters: dropped).sumLogProbs
        XCTAssertEqual(scoring, try model.forward(batch, savingForBackward: false, adapters: plain).sumLogProbs)
        XCTAssertEqual(try model.forward(batch, adapters: plain).sumLogProbs, try model.forward(batch, savingForBackward: false, adapters: plain).sumLogProbs)
        let training = try model.forward(batch, adapters: dropped).sumLogProbs
        XCTAssertNotEqual(training, scoring)
        // Same stream, same masks; another stream, other masks.
        XCTAssertEqual(try model.forward(batch, adapters: dropped).sumLogProbs, training)
        dropped.dropoutStream = 999
        XCTAssertNotEqual(try model.forward(batch, adapters: dropped).sumLogProbs, training)
    }

    func testGradientsThroughTheMasksMatchFiniteDifferences() throws {
        let model = try LlamaModel(configuration: TestSupport.tinyConfiguration(), seed: 7)
        let adapters = try self.adapters(model, dropout: 0.25)
        func loss() throws -> Double {
            let pass = try model.forward(batch, savingForBackward: true, adapters: adapters)
            return zip(pass.sumLogProbs, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let gradients = LoRABuffer(layout: adapters.layout)
        model.backward(try model.forward(batch, adapters: adapters), dSumLogProbs: weights, adapterGradients: gradients)
        var checked = 0
        for adapter in adapters.layout.adapters where adapter.layer == 0 || adapter.target == .query {
            for (name, parameters, gradient) in [("A", adapters.weights.a(adapter), gradients.a(adapter)),
                                                 ("B", adapters.weights.b(adapter), gradients.b(adapter))] {
                let order = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(2)
                for index in order {
                    let original = parameters[index], h: Float = 1e-2
                    parameters[index] = original + h
                    let plus = try loss()
                    parameters[index] = original - h
                    let minus = try loss()
                    parameters[index] = original
                    let numeric = (plus - minus) / (2 * Double(h))
                    XCTAssertEqual(Double(gradient[index]), numeric, accuracy: 2e-2 * max(1, abs(numeric)),
                                   "layer \(adapter.layer) \(adapter.target) \(name)[\(index)]")
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 20)
        // The masks change the gradients.
        let plain = try self.adapters(model, dropout: 0)
        let plainGradients = LoRABuffer(layout: plain.layout)
        model.backward(try model.forward(batch, adapters: plain), dSumLogProbs: weights, adapterGradients: plainGradients)
        XCTAssertNotEqual(Array(UnsafeBufferPointer(start: gradients.base, count: gradients.count)),
                          Array(UnsafeBufferPointer(start: plainGradients.base, count: plainGradients.count)))
    }
}
