import Foundation
import IRPOTensor
import XCTest
@testable import IRPOTraining

final class AdamWOptimizerTests: XCTestCase {
    /// AdamW in Double, written from the paper's equations (Loshchilov & Hutter, Algorithm 2
    /// with PyTorch's epsilon placement).
    func referenceAdamW(parameters: [Double], gradients: [[Double]], lr: [Double], b1: Double, b2: Double,
                        eps: Double, wd: Double) -> [Double] {
        var p = parameters
        var m = [Double](repeating: 0, count: p.count), v = m
        for (t, g) in gradients.enumerated() {
            let step = Double(t + 1)
            for i in p.indices {
                p[i] *= 1 - lr[t] * wd
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let mHat = m[i] / (1 - Foundation.pow(b1, step))
                let vHat = v[i] / (1 - Foundation.pow(b2, step))
                p[i] -= lr[t] * mHat / (vHat.squareRoot() + eps)
            }
        }
        return p
    }

    func testMatchesDoubleReferenceForSeveralSteps() {
        let count = 37  // SIMD body plus a scalar tail
        var generator = SeededGenerator(seed: 7)
        let initial = (0..<count).map { _ in Double(generator.normal()) }
        let steps = 5
        let gradients = (0..<steps).map { step in (0..<count).map { i in Double(generator.normal()) * (i == 3 ? 1e-6 : 1) + (step == 2 && i == 5 ? 30 : 0) } }
        let lr = [1e-3, 2e-3, 5e-4, 1e-2, 3e-3]
        let configuration = AdamWConfiguration(beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1)
        let optimizer = AdamWOptimizer(count: count, configuration: configuration)
        var parameters = initial.map(Float.init)
        for step in 0..<steps {
            let g = gradients[step].map(Float.init)
            g.withUnsafeBufferPointer { gBuffer in
                parameters.withUnsafeMutableBufferPointer { pBuffer in
                    optimizer.update(parameters: pBuffer.baseAddress!, gradients: gBuffer.baseAddress!, learningRate: Float(lr[step]))
                }
            }
        }
        XCTAssertEqual(optimizer.step, steps)
        let expected = referenceAdamW(parameters: initial.map { Double(Float($0)) }, gradients: gradients.map { $0.map { Double(Float($0)) } },
                                      lr: lr.map { Double(Float($0)) }, b1: Double(Float(0.9)), b2: Double(Float(0.95)), eps: Double(Float(1e-8)), wd: Double(Float(0.1)))
        var worst = 0.0
        for i in 0..<count {
            let change = abs(expected[i] - initial[i])
            worst = max(worst, abs(Double(parameters[i]) - expected[i]) / max(change, 1e-6))
        }
        // Relative to the size of the update: fp32 rounding only.
        XCTAssertLessThan(worst, 1e-3, "largest error relative to the update")
        XCTAssertNotEqual(parameters.map(Double.init), initial, "the parameters must move")
    }

    func testResultDoesNotDependOnThreadCount() {
        let count = 200_003
        var generator = SeededGenerator(seed: 3)
        let start = (0..<count).map { _ in generator.normal() }
        let gradient = (0..<count).map { _ in generator.normal() }
        func run(threads: Int) -> [Float] {
            let saved = Parallel.threadCount
            Parallel.threadCount = threads
            defer { Parallel.threadCount = saved }
            let optimizer = AdamWOptimizer(count: count, configuration: AdamWConfiguration(weightDecay: 0.01))
            var p = start
            gradient.withUnsafeBufferPointer { g in
                p.withUnsafeMutableBufferPointer { pb in
                    for _ in 0..<3 { optimizer.update(parameters: pb.baseAddress!, gradients: g.baseAddress!, learningRate: 1e-3) }
                }
            }
            return p
        }
        XCTAssertEqual(run(threads: 1), run(threads: 2))
    }

    func testValidationRejectsBadBetas() {
        XCTAssertThrowsError(try AdamWConfiguration(beta1: 1).validate())
        XCTAssertThrowsError(try AdamWConfiguration(epsilon: 0).validate())
        XCTAssertNoThrow(try AdamWConfiguration().validate())
    }
}
