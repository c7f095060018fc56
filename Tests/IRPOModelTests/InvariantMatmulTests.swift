import XCTest
@testable import IRPOModel
import IRPOTensor

/// The batch-invariant decode kernel: every output element is one fused multiply-add chain over
/// `k`, so a row's results must not depend on the batch it sits in, the tile that computes it,
/// the thread count, or whether the weights were packed ahead of time.
final class InvariantMatmulTests: XCTestCase {
    /// Deterministic values in [-1, 1).
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 23) - 1
        }
    }

    /// y = x W^T through the kernel, packed or not, starting from `initial` (accumulate) or not.
    func multiply(_ x: [Float], _ w: [Float], rows: Int, outputs: Int, inner: Int, packed: Bool,
                  initial: [Float]? = nil) -> [Float] {
        var y = initial ?? [Float](repeating: .nan, count: rows * outputs)
        var packedW = [Float](repeating: .nan, count: InvariantMatmul.packedCount(outputs: outputs, inner: inner))
        if packed { InvariantMatmul.pack(w, outputs: outputs, inner: inner, into: &packedW) }
        y.withUnsafeMutableBufferPointer { yb in
            if packed {
                InvariantMatmul.multiply(y: yb.baseAddress!, x: x, packed: packedW, rows: rows, outputs: outputs, inner: inner,
                                         accumulate: initial != nil)
            } else {
                InvariantMatmul.multiply(y: yb.baseAddress!, x: x, w: w, rows: rows, outputs: outputs, inner: inner,
                                         accumulate: initial != nil)
            }
        }
        return y
    }

    func testRowsDoNotDependOnBatchTileThreadsOrPacking() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for (outputs, inner) in [(1, 1), (16, 7), (37, 64), (70, 129), (200, 33)] {
            let w = values(outputs * inner, seed: UInt64(outputs * 1000 + inner))
            let maxRows = 13
            let x = values(maxRows * inner, seed: UInt64(inner))
            // Reference: each row alone, one thread, weights packed on the fly.
            Parallel.threadCount = 1
            var alone: [[Float]] = []
            for m in 0..<maxRows {
                alone.append(multiply(Array(x[(m * inner)..<((m + 1) * inner)]), w, rows: 1, outputs: outputs, inner: inner, packed: false))
            }
            for threads in [1, 2] {
                Parallel.threadCount = threads
                for rows in [1, 2, 3, 4, 5, 6, 7, 11, 13] {
                    for packed in [false, true] {
                        let y = multiply(Array(x[0..<(rows * inner)]), w, rows: rows, outputs: outputs, inner: inner, packed: packed)
                        for m in 0..<rows {
                            XCTAssertEqual(Array(y[(m * outputs)..<((m + 1) * outputs)]), alone[m],
                                           "outputs \(outputs) inner \(inner): row \(m) of \(rows) (threads \(threads), packed \(packed)) differs from the row alone")
                        }
                    }
                }
            }
            // Against a double-precision product.
            for m in 0..<maxRows {
                for n in 0..<outputs {
                    var exact = 0.0, magnitude = 0.0
                    for k in 0..<inner {
                        exact += Double(x[m * inner + k]) * Double(w[n * inner + k])
                        magnitude += abs(Double(x[m * inner + k]) * Double(w[n * inner + k]))
                    }
                    XCTAssertEqual(Double(alone[m][n]), exact, accuracy: 1e-6 * magnitude + 1e-30,
                                   "outputs \(outputs) inner \(inner): element (\(m), \(n))")
                }
            }
        }
    }

    /// q/k/v and gate/up run as one fused call over all their panels: each output must equal
    /// its own call bit for bit, for every row count and 1 or 2 threads.
    func testFusedProductsEqualSeparateProducts() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        let inner = 40
        let widths = [48, 16, 37]
        let weights = widths.enumerated().map { values($1 * inner, seed: UInt64(10 + $0)) }
        let packed: [[Float]] = zip(weights, widths).map { w, outputs in
            var p = [Float](repeating: .nan, count: InvariantMatmul.packedCount(outputs: outputs, inner: inner))
            InvariantMatmul.pack(w, outputs: outputs, inner: inner, into: &p)
            return p
        }
        for threads in [1, 2] {
            Parallel.threadCount = threads
            for rows in [1, 2, 5, 6, 9] {
                let x = values(rows * inner, seed: UInt64(rows))
                let separate = zip(weights, widths).map { multiply(x, $0, rows: rows, outputs: $1, inner: inner, packed: true) }
                // Outputs and packed weights in buffers that outlive the call.
                let ys = widths.map { UnsafeMutablePointer<Float>.allocate(capacity: rows * $0) }
                let ps = packed.map { p -> UnsafeMutablePointer<Float> in
                    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: p.count)
                    buffer.initialize(from: p, count: p.count)
                    return buffer
                }
                defer { (ys + ps).forEach { $0.deallocate() } }
                for (y, width) in zip(ys, widths) { y.initialize(repeating: .nan, count: rows * width) }
                InvariantMatmul.multiply(widths.indices.map { .init(y: ys[$0], packed: ps[$0], outputs: widths[$0]) },
                                         x: x, rows: rows, inner: inner)
                let outputs = widths.indices.map { Array(UnsafeBufferPointer(start: ys[$0], count: rows * widths[$0])) }
                XCTAssertEqual(outputs, separate, "rows \(rows), threads \(threads)")
            }
        }
    }

    func testAccumulateAddsToTheOutput() {
        let (rows, outputs, inner) = (7, 37, 20)
        let x = values(rows * inner, seed: 5), w = values(outputs * inner, seed: 6), start = values(rows * outputs, seed: 7)
        for packed in [false, true] {
            let plain = multiply(x, w, rows: rows, outputs: outputs, inner: inner, packed: packed)
            let summed = multiply(x, w, rows: rows, outputs: outputs, inner: inner, packed: packed, initial: start)
            XCTAssertEqual(summed, zip(start, plain).map { $0 + $1 }, "packed \(packed)")
        }
    }
}
