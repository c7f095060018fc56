import Foundation
import XCTest
import IRPOTensor

final class RotaryEmbeddingTests: KernelTestCase {
    func testDefaultInverseFrequencies() {
        let rope = RotaryEmbedding(headDim: 8, maxPositions: 4, theta: 10_000)
        let expected = (0..<4).map { 1 / Foundation.pow(10_000.0, Double(2 * $0) / 8) }
        assertClose(rope.inverseFrequencies, expected, absolute: 0, relative: 3e-7, "inv_freq")
        XCTAssertEqual(rope.cosines.count, 4 * 4)
    }

    /// transformers 5.24 `ROPE_INIT_FUNCTIONS["llama3"]` for head_dim 32, rope_theta 500000,
    /// factor 8, low 1, high 4, original_max_position_embeddings 64 (covers the high, medium
    /// and low frequency bands), as Float bit patterns.
    func testLlama3ScalingMatchesTransformers() {
        let scaling = RotaryEmbedding.Llama3Scaling(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositions: 64)
        let rope = RotaryEmbedding(headDim: 32, maxPositions: 2, theta: 500_000, scaling: scaling)
        let expectedBits: [UInt32] = [
            0x3f80_0000, 0x3ee1_77bc, 0x3da2_9e0c, 0x3c2e_e4ad, 0x3b9a_08c8, 0x3b07_a9c3, 0x3a6e_f74f, 0x39d2_7720,
            0x3939_5d21, 0x38a3_418d, 0x380f_c8f8, 0x377d_45c3, 0x36df_10c4, 0x3644_7610, 0x35ad_07a7, 0x3518_64a7,
        ]
        let expected = expectedBits.map { Double(Float(bitPattern: $0)) }
        assertClose(rope.inverseFrequencies, expected, absolute: 0, relative: 4e-7, "llama3 inv_freq")
        // The medium band (index 2) is smoothed, the low band (index 3 on) divided by the factor.
        let unscaled = RotaryEmbedding(headDim: 32, maxPositions: 2, theta: 500_000)
        XCTAssertEqual(rope.inverseFrequencies[1], unscaled.inverseFrequencies[1])
        XCTAssertEqual(rope.inverseFrequencies[5], unscaled.inverseFrequencies[5] / 8)
    }

    func testTablesUseFloatAngles() {
        let rope = RotaryEmbedding(headDim: 6, maxPositions: 50, theta: 100)
        for position in [0, 1, 49] {
            for i in 0..<3 {
                let angle = Double(Float(position) * rope.inverseFrequencies[i])
                XCTAssertEqual(rope.cosines[position * 3 + i], Float(Foundation.cos(angle)))
                XCTAssertEqual(rope.sines[position * 3 + i], Float(Foundation.sin(angle)))
            }
        }
    }

    /// Double reference of the rotate-half rotation with the struct's tables.
    private func reference(_ x: [Double], rope: RotaryEmbedding, positions: [Int32], heads: Int) -> [Double] {
        let d = rope.headDim, half = d / 2
        var y = x
        for t in 0..<positions.count {
            let angles = (0..<half).map { Double(positions[t]) * Double(rope.inverseFrequencies[$0]) }
            for h in 0..<heads {
                let base = (t * heads + h) * d
                for i in 0..<half {
                    let x1 = x[base + i], x2 = x[base + i + half]
                    y[base + i] = x1 * Foundation.cos(angles[i]) - x2 * Foundation.sin(angles[i])
                    y[base + i + half] = x2 * Foundation.cos(angles[i]) + x1 * Foundation.sin(angles[i])
                }
            }
        }
        return y
    }

    func testApplyMatchesDoubleAndBackwardMatchesFiniteDifferences() {
        var data = TestData(seed: 51)
        for headDim in [4, 20, 32] {
            let rope = RotaryEmbedding(headDim: headDim, maxPositions: 40, theta: 10_000)
            let positionValues: [Int32] = [0, 5, 39, 7, 7]
            let positions = IntBuffer(positionValues)
            let tokens = positionValues.count, heads = 3
            let count = tokens * heads * headDim
            let x = FloatBuffer(data.floats(count))
            let xs = x.doubles
            rope.apply(inPlace: x.p, positions: positions.c, tokens: tokens, heads: heads)
            assertClose(x.array, reference(xs, rope: rope, positions: positionValues, heads: heads),
                        absolute: 2e-5, relative: 1e-4, "apply D=\(headDim)")
            // Gradient: the backward of the rotation applied to the functional's weights.
            let weights = data.doubles(count)
            let gradient = FloatBuffer(weights.map(Float.init))
            rope.applyBackward(inPlace: gradient.p, positions: positions.c, tokens: tokens, heads: heads)
            let numeric = centralDifferences(at: xs) {
                functional(reference($0, rope: rope, positions: positionValues, heads: heads), weights)
            }
            assertClose(gradient.array, numeric, absolute: 1e-4, relative: 1e-3, "applyBackward D=\(headDim)")
        }
    }

    func testBackwardUndoesForward() {
        var data = TestData(seed: 52)
        let rope = RotaryEmbedding(headDim: 16, maxPositions: 100, theta: 10_000)
        let positions = IntBuffer([99, 3])
        let x = FloatBuffer(data.floats(2 * 2 * 16))
        let original = x.doubles
        rope.apply(inPlace: x.p, positions: positions.c, tokens: 2, heads: 2)
        XCTAssertNotEqual(x.doubles, original)
        rope.applyBackward(inPlace: x.p, positions: positions.c, tokens: 2, heads: 2)
        assertClose(x.array, original, absolute: 1e-6, relative: 1e-5, "round trip")
    }
}
