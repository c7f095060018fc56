import XCTest
@testable import IRPOGeneration
import IRPOTensor

/// The sampler's exp pass on AVX-512 must give the Swift pass's block sums to the bit, so a
/// sampled token never depends on the CPU's vector width.
final class SamplerExpKernelTests: XCTestCase {
    func sums(_ values: [Float], shift: Float, scale: Float, avx512: Bool) -> [UInt32] {
        var result: [UInt32] = []
        values.withUnsafeBufferPointer { buffer in
            Sampler.blockExponentials(buffer.baseAddress!, count: buffer.count, shift: shift, scale: scale, avx512: avx512) { block, sum in
                XCTAssertEqual(block, result.count, "blocks come in order")
                result.append(sum.bitPattern)
            }
        }
        return result
    }

    func testAVX512BlockSumsEqualTheSwiftOnesBitForBit() throws {
        try XCTSkipUnless(VectorKernels.avx512Available, "this CPU has no AVX-512: only the Swift pass can run here")
        var random = SeededGenerator(seed: 11)
        for count in [1, 7, 8, 9, 15, 16, 17, 24, 100, 1000, 49_152] {
            var values = [Float](repeating: 0, count: count)
            random.fillNormal(&values, count: count, mean: 0, std: 6)
            // Values on both sides of the clamps (88, -87, -87.3) and exact zeros.
            for (index, special) in [Float(95), -90, -87.2, 88.5, 0, -87.3, 200].enumerated() where index < count {
                values[(index * 37) % count] = special
            }
            let top = values.max() ?? 0
            for (shift, scale) in [(top, Float(1)), (top, 1 / 0.7), (Float(0), 1), (top - 3, 0.5)] {
                let portable = sums(values, shift: shift, scale: scale, avx512: false)
                XCTAssertEqual(portable.count, (count + 7) / 8)
                XCTAssertEqual(sums(values, shift: shift, scale: scale, avx512: true), portable,
                               "count \(count), shift \(shift), scale \(scale)")
            }
        }
    }
}
