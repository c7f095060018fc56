import Foundation
import XCTest
import IRPOTensor

final class AttentionTests: KernelTestCase {
    struct Case {
        let batch: Int, sequenceLength: Int, heads: Int, kvHeads: Int, headDim: Int
        let lengths: [Int32]
        var qCount: Int { batch * sequenceLength * heads * headDim }
        var kvCount: Int { batch * sequenceLength * kvHeads * headDim }
        var pCount: Int { batch * heads * sequenceLength * sequenceLength }
    }

    /// Double reference: masked causal GQA softmax attention; padded query rows give zeros.
    private func reference(_ c: Case, q: [Double], k: [Double], v: [Double]) -> [Double] {
        let s = c.sequenceLength, d = c.headDim
        var out = [Double](repeating: 0, count: c.qCount)
        let scale = 1 / Double(d).squareRoot()
        for b in 0..<c.batch {
            let length = Int(c.lengths[b])
            for h in 0..<c.heads {
                let kvHead = h / (c.heads / c.kvHeads)
                for i in 0..<length {
                    let qBase = ((b * s + i) * c.heads + h) * d
                    var scores = [Double](repeating: 0, count: i + 1)
                    for j in 0...i {
                        let kBase = ((b * s + j) * c.kvHeads + kvHead) * d
                        var dot = 0.0
                        for e in 0..<d { dot += q[qBase + e] * k[kBase + e] }
                        scores[j] = dot * scale
                    }
                    let maximum = scores.max() ?? 0
                    let exps = scores.map { Foundation.exp($0 - maximum) }
                    let total = exps.reduce(0, +)
                    for j in 0...i {
                        let vBase = ((b * s + j) * c.kvHeads + kvHead) * d
                        for e in 0..<d { out[qBase + e] += exps[j] / total * v[vBase + e] }
                    }
                }
            }
        }
        return out
    }

    private func runForward(_ c: Case, q: FloatBuffer, k: FloatBuffer, v: FloatBuffer) -> (FloatBuffer, FloatBuffer) {
        let output = FloatBuffer(count: c.qCount, value: .nan), probabilities = FloatBuffer(count: c.pCount, value: .nan)
        let lengths = IntBuffer(c.lengths)
        Attention.forward(output: output.p, probabilities: probabilities.p, q: q.c, k: k.c, v: v.c, lengths: lengths.c,
                          batch: c.batch, sequenceLength: c.sequenceLength, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
        return (output, probabilities)
    }

    private let cases = [
        Case(batch: 1, sequenceLength: 5, heads: 2, kvHeads: 2, headDim: 3, lengths: [5]),
        Case(batch: 3, sequenceLength: 6, heads: 4, kvHeads: 2, headDim: 5, lengths: [6, 3, 0]),  // GQA + padding + empty
        Case(batch: 2, sequenceLength: 70, heads: 3, kvHeads: 1, headDim: 2, lengths: [70, 66]),  // spans two row blocks
    ]

    func testForwardMatchesDoubleAndMasksPadding() {
        var data = TestData(seed: 81)
        for c in cases {
            let q = FloatBuffer(data.floats(c.qCount)), k = FloatBuffer(data.floats(c.kvCount)), v = FloatBuffer(data.floats(c.kvCount))
            let (output, probabilities) = runForward(c, q: q, k: k, v: v)
            assertClose(output.array, reference(c, q: q.doubles, k: k.doubles, v: v.doubles), absolute: 1e-5, relative: 1e-4,
                        "output \(c)")
            let s = c.sequenceLength
            for b in 0..<c.batch {
                for h in 0..<c.heads {
                    for i in 0..<s {
                        let row = (0..<s).map { probabilities.p[((b * c.heads + h) * s + i) * s + $0] }
                        let length = Int(c.lengths[b])
                        if i < length {
                            XCTAssertEqual(Double(row.reduce(0, +)), 1, accuracy: 1e-5, "row \(i) sums to one")
                            XCTAssertTrue(row[(i + 1)...].allSatisfy { $0 == 0 }, "above the diagonal is zero")
                        } else {
                            XCTAssertTrue(row.allSatisfy { $0 == 0 }, "padded row \(i) of sequence \(b) is zero")
                        }
                    }
                }
            }
            XCTAssertFalse(output.array.contains { $0.isNaN }, "no NaN in \(c)")
        }
    }

    func testBackwardMatchesFiniteDifferences() {
        var data = TestData(seed: 82)
        for c in cases {
            let q = FloatBuffer(data.floats(c.qCount)), k = FloatBuffer(data.floats(c.kvCount)), v = FloatBuffer(data.floats(c.kvCount))
            let (_, probabilities) = runForward(c, q: q, k: k, v: v)
            let weights = data.doubles(c.qCount)
            let dQ = FloatBuffer(data.floats(c.qCount)), dK = FloatBuffer(data.floats(c.kvCount)), dV = FloatBuffer(data.floats(c.kvCount))
            let initial = (dQ.doubles, dK.doubles, dV.doubles)
            let lengths = IntBuffer(c.lengths)
            Attention.backward(dQ: dQ.p, dK: dK.p, dV: dV.p, dOutput: FloatBuffer(weights.map(Float.init)).c,
                               q: q.c, k: k.c, v: v.c, probabilities: probabilities.c, lengths: lengths.c,
                               batch: c.batch, sequenceLength: c.sequenceLength, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
            let qs = q.doubles, ks = k.doubles, vs = v.doubles
            let numericQ = centralDifferences(at: qs) { functional(reference(c, q: $0, k: ks, v: vs), weights) }
            let numericK = centralDifferences(at: ks) { functional(reference(c, q: qs, k: $0, v: vs), weights) }
            let numericV = centralDifferences(at: vs) { functional(reference(c, q: qs, k: ks, v: $0), weights) }
            assertClose(dQ.array, zip(numericQ, initial.0).map { $0 + $1 }, absolute: 1e-4, relative: 1e-3, "dQ \(c)")
            assertClose(dK.array, zip(numericK, initial.1).map { $0 + $1 }, absolute: 1e-4, relative: 1e-3, "dK \(c)")
            assertClose(dV.array, zip(numericV, initial.2).map { $0 + $1 }, absolute: 1e-4, relative: 1e-3, "dV \(c)")
        }
    }

    func testInferenceForwardMatchesTrainingForwardBitForBit() {
        var data = TestData(seed: 84)
        for c in cases {
            let q = FloatBuffer(data.floats(c.qCount)), k = FloatBuffer(data.floats(c.kvCount)), v = FloatBuffer(data.floats(c.kvCount))
            let (output, _) = runForward(c, q: q, k: k, v: v)
            for threads in [1, 2] {
                let inference = FloatBuffer(count: c.qCount, value: .nan)
                withThreads(threads) {
                    Attention.forwardInference(output: inference.p, q: q.c, k: k.c, v: v.c, lengths: IntBuffer(c.lengths).c,
                                               batch: c.batch, sequenceLength: c.sequenceLength, heads: c.heads,
                                               kvHeads: c.kvHeads, headDim: c.headDim)
                }
                XCTAssertEqual(inference.bitPatterns, output.bitPatterns, "\(c) at \(threads) threads")
            }
        }
    }

    func testDeterministicAcrossRunsAndThreadCounts() {
        var data = TestData(seed: 83)
        let c = Case(batch: 3, sequenceLength: 80, heads: 4, kvHeads: 2, headDim: 16, lengths: [80, 17, 65])
        let q = FloatBuffer(data.floats(c.qCount)), k = FloatBuffer(data.floats(c.kvCount)), v = FloatBuffer(data.floats(c.kvCount))
        let dOutput = FloatBuffer(data.floats(c.qCount))
        let lengths = IntBuffer(c.lengths)
        func run(_ threads: Int) -> [UInt32] {
            withThreads(threads) {
                let (output, probabilities) = runForward(c, q: q, k: k, v: v)
                let dQ = FloatBuffer(count: c.qCount), dK = FloatBuffer(count: c.kvCount), dV = FloatBuffer(count: c.kvCount)
                Attention.backward(dQ: dQ.p, dK: dK.p, dV: dV.p, dOutput: dOutput.c, q: q.c, k: k.c, v: v.c,
                                   probabilities: probabilities.c, lengths: lengths.c, batch: c.batch, sequenceLength: c.sequenceLength,
                                   heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim)
                return output.bitPatterns + probabilities.bitPatterns + dQ.bitPatterns + dK.bitPatterns + dV.bitPatterns
            }
        }
        let first = run(2)
        XCTAssertEqual(first, run(2))
        XCTAssertEqual(first, run(1))
        XCTAssertEqual(first, run(3))
    }
}
