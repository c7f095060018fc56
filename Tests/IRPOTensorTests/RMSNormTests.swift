import Foundation
import XCTest
import IRPOTensor

final class RMSNormTests: KernelTestCase {
    private func reference(_ x: [Double], _ w: [Double], tokens: Int, channels: Int, epsilon: Double) -> [Double] {
        var y = [Double](repeating: 0, count: tokens * channels)
        for t in 0..<tokens {
            var meanSquare = 0.0
            for c in 0..<channels { meanSquare += x[t * channels + c] * x[t * channels + c] }
            let inv = 1 / (meanSquare / Double(channels) + epsilon).squareRoot()
            for c in 0..<channels { y[t * channels + c] = w[c] * x[t * channels + c] * inv }
        }
        return y
    }

    func testForwardMatchesDouble() {
        var data = TestData(seed: 41)
        for channels in [5, 8, 21] {
            let tokens = 3, epsilon: Float = 1e-5
            let x = FloatBuffer(data.floats(tokens * channels)), w = FloatBuffer(data.floats(channels))
            let y = FloatBuffer(count: tokens * channels), inv = FloatBuffer(count: tokens)
            RMSNorm.forward(output: y.p, inverseRMS: inv.p, input: x.c, weight: w.c, tokens: tokens, channels: channels, epsilon: epsilon)
            assertClose(y.array, reference(x.doubles, w.doubles, tokens: tokens, channels: channels, epsilon: Double(epsilon)),
                        absolute: 1e-6, relative: 1e-5, "output C=\(channels)")
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        var data = TestData(seed: 42)
        for channels in [6, 19] {
            let tokens = 4, epsilon: Float = 1e-3
            let x = FloatBuffer(data.floats(tokens * channels)), w = FloatBuffer(data.floats(channels))
            let y = FloatBuffer(count: tokens * channels), inv = FloatBuffer(count: tokens)
            RMSNorm.forward(output: y.p, inverseRMS: inv.p, input: x.c, weight: w.c, tokens: tokens, channels: channels, epsilon: epsilon)
            let weights = data.doubles(tokens * channels)
            let dx = FloatBuffer(data.floats(tokens * channels)), dw = FloatBuffer(data.floats(channels))
            let dxInitial = dx.doubles, dwInitial = dw.doubles
            RMSNorm.backward(dInput: dx.p, dWeight: dw.p, dOutput: FloatBuffer(weights.map(Float.init)).c, input: x.c, weight: w.c,
                             inverseRMS: inv.c, tokens: tokens, channels: channels)
            let xs = x.doubles, ws = w.doubles
            let numericX = centralDifferences(at: xs) {
                functional(reference($0, ws, tokens: tokens, channels: channels, epsilon: Double(epsilon)), weights)
            }
            let numericW = centralDifferences(at: ws) {
                functional(reference(xs, $0, tokens: tokens, channels: channels, epsilon: Double(epsilon)), weights)
            }
            assertClose(dx.array, zip(numericX, dxInitial).map { $0 + $1 }, absolute: 1e-4, relative: 1e-3, "dInput C=\(channels)")
            assertClose(dw.array, zip(numericW, dwInitial).map { $0 + $1 }, absolute: 1e-4, relative: 1e-3, "dWeight C=\(channels)")
        }
    }

    func testDeterministicAcrossRunsAndThreadCounts() {
        var data = TestData(seed: 43)
        let tokens = 300, channels = 136
        let x = FloatBuffer(data.floats(tokens * channels)), w = FloatBuffer(data.floats(channels))
        let dy = FloatBuffer(data.floats(tokens * channels))
        func run(_ threads: Int) -> [UInt32] {
            withThreads(threads) {
                let y = FloatBuffer(count: tokens * channels), inv = FloatBuffer(count: tokens)
                let dx = FloatBuffer(count: tokens * channels), dw = FloatBuffer(count: channels)
                RMSNorm.forward(output: y.p, inverseRMS: inv.p, input: x.c, weight: w.c, tokens: tokens, channels: channels, epsilon: 1e-5)
                RMSNorm.backward(dInput: dx.p, dWeight: dw.p, dOutput: dy.c, input: x.c, weight: w.c, inverseRMS: inv.c,
                                 tokens: tokens, channels: channels)
                return y.bitPatterns + dx.bitPatterns + dw.bitPatterns
            }
        }
        let first = run(2)
        XCTAssertEqual(first, run(2))
        XCTAssertEqual(first, run(1))
        XCTAssertEqual(first, run(3))
    }
}
