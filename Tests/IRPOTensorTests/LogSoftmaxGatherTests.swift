import Foundation
import XCTest
import IRPOTensor

final class LogSoftmaxGatherTests: KernelTestCase {
    /// Double log-probabilities of the targets (0 for negative targets).
    private func reference(_ logits: [Double], targets: [Int32], vocab: Int) -> [Double] {
        (0..<targets.count).map { t in
            guard targets[t] >= 0 else { return 0 }
            let row = logits[(t * vocab)..<((t + 1) * vocab)]
            let maximum = row.max() ?? 0
            let lse = maximum + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - maximum) })
            return logits[t * vocab + Int(targets[t])] - lse
        }
    }

    func testForwardAndBackwardMatchDouble() {
        var data = TestData(seed: 71)
        for vocab in [1, 13, 40] {
            let targetValues: [Int32] = [0, Int32(vocab - 1), -1, Int32(vocab / 2), 0]
            let tokens = targetValues.count
            let logits = FloatBuffer(data.floats(tokens * vocab, scale: 3))
            let targets = IntBuffer(targetValues)
            let logProbs = FloatBuffer(count: tokens, value: 7), lse = FloatBuffer(count: tokens)
            LogSoftmaxGather.forward(logProbs: logProbs.p, logSumExp: lse.p, logits: logits.c, targets: targets.c, tokens: tokens, vocab: vocab)
            let xs = logits.doubles
            assertClose(logProbs.array, reference(xs, targets: targetValues, vocab: vocab), absolute: 2e-6, relative: 1e-5, "logProbs V=\(vocab)")

            var weights = data.doubles(tokens)
            weights[4] = 0  // a row with zero gradient must come out as zeros
            LogSoftmaxGather.backward(logitsToGradient: logits.p, dLogProbs: FloatBuffer(weights.map(Float.init)).c,
                                      logSumExp: lse.c, targets: targets.c, tokens: tokens, vocab: vocab)
            let numeric = centralDifferences(at: xs) { functional(reference($0, targets: targetValues, vocab: vocab), weights) }
            assertClose(logits.array, numeric, absolute: 1e-5, relative: 1e-4, "dLogits V=\(vocab)")
            XCTAssertTrue((0..<vocab).allSatisfy { logits.p[2 * vocab + $0] == 0 }, "ignored target row")
            XCTAssertTrue((0..<vocab).allSatisfy { logits.p[4 * vocab + $0] == 0 }, "zero-gradient row")
        }
    }

    func testLargeLogitsStayFinite() {
        let vocab = 9
        let logits = FloatBuffer([1000, -1000, 0, 999, 1000, 3, 4, 5, 6])
        let targets = IntBuffer([3])
        let logProbs = FloatBuffer(count: 1), lse = FloatBuffer(count: 1)
        LogSoftmaxGather.forward(logProbs: logProbs.p, logSumExp: lse.p, logits: logits.c, targets: targets.c, tokens: 1, vocab: vocab)
        let expected = 999 - (1000 + Foundation.log(2 + Foundation.exp(-1.0)))
        XCTAssertEqual(Double(logProbs.p[0]), expected, accuracy: 1e-4)
        LogSoftmaxGather.backward(logitsToGradient: logits.p, dLogProbs: FloatBuffer([1]).c, logSumExp: lse.c,
                                  targets: targets.c, tokens: 1, vocab: vocab)
        XCTAssertTrue(logits.array.allSatisfy(\.isFinite))
        XCTAssertEqual(Double(logits.array.reduce(0, +)), 0, accuracy: 1e-5, "gradient of a log-probability sums to zero")
    }

    func testDeterministicAcrossThreadCounts() {
        var data = TestData(seed: 72)
        let tokens = 33, vocab = 1001
        let logits = FloatBuffer(data.floats(tokens * vocab, scale: 2))
        let targets = IntBuffer(data.ints(tokens, below: Int32(vocab)))
        let dLogProbs = FloatBuffer(data.floats(tokens))
        func run(_ threads: Int) -> [UInt32] {
            withThreads(threads) {
                let work = FloatBuffer(logits.array)
                let logProbs = FloatBuffer(count: tokens), lse = FloatBuffer(count: tokens)
                LogSoftmaxGather.forward(logProbs: logProbs.p, logSumExp: lse.p, logits: work.c, targets: targets.c, tokens: tokens, vocab: vocab)
                LogSoftmaxGather.backward(logitsToGradient: work.p, dLogProbs: dLogProbs.c, logSumExp: lse.c, targets: targets.c,
                                          tokens: tokens, vocab: vocab)
                return logProbs.bitPatterns + work.bitPatterns
            }
        }
        let first = run(2)
        XCTAssertEqual(first, run(2))
        XCTAssertEqual(first, run(1))
        XCTAssertEqual(first, run(3))
    }
}
