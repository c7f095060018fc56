import IRPOTensor
import XCTest
@testable import IRPOModel

/// The decode-attention kernels on their own.
final class DecodeAttentionTests: XCTestCase {
    /// Grouping the query heads of a GQA group (one pass over the cached rows) must give exactly
    /// the per-head result: generation's outputs may not change with this optimisation.
    func testGroupedHeadsEqualPerHeadAttentionBitForBit() {
        for (group, headDim, length) in [(3, 64, 37), (2, 8, 1), (4, 16, 8), (3, 64, 130), (2, 12, 9)] {
            let shape = DecodeAttention.Shape(heads: 2 * group, kvHeads: 2, headDim: headDim)
            let rowStride = shape.kvRow
            var random = SeededGenerator(seed: UInt64(group * 1000 + length))
            let q = UnsafeMutablePointer<Float>.allocate(capacity: group * headDim)
            let keys = UnsafeMutablePointer<Float>.allocate(capacity: length * rowStride)
            let values = UnsafeMutablePointer<Float>.allocate(capacity: length * rowStride)
            let grouped = UnsafeMutablePointer<Float>.allocate(capacity: group * headDim)
            let perHead = UnsafeMutablePointer<Float>.allocate(capacity: group * headDim)
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: group * length)
            defer { [q, keys, values, grouped, perHead, scores].forEach { $0.deallocate() } }
            random.fillNormal(q, count: group * headDim, mean: 0, std: 1)
            random.fillNormal(keys, count: length * rowStride, mean: 0, std: 1)
            random.fillNormal(values, count: length * rowStride, mean: 0, std: 1)
            grouped.initialize(repeating: .nan, count: group * headDim)
            perHead.initialize(repeating: .nan, count: group * headDim)
            // The second kv head's columns, so the row stride matters.
            DecodeAttention.attendGroup(output: grouped, q: q, heads: group, keys: keys + headDim, values: values + headDim,
                                        length: length, rowStride: rowStride, shape: shape, scores: scores)
            for g in 0..<group {
                DecodeAttention.attendOne(output: perHead + g * headDim, q: q + g * headDim, keys: keys + headDim,
                                          values: values + headDim, length: length, rowStride: rowStride, shape: shape, scores: scores)
            }
            let a = Array(UnsafeBufferPointer(start: grouped, count: group * headDim))
            let b = Array(UnsafeBufferPointer(start: perHead, count: group * headDim))
            XCTAssertFalse(a.contains { !$0.isFinite }, "group \(group), length \(length)")
            XCTAssertEqual(a, b, "group \(group), head dim \(headDim), length \(length)")
        }
    }
}
