import XCTest
@testable import IRPOModel
import IRPOTensor
import IRPOFormats

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

    /// The AVX-512 kernel and the AVX2 Swift kernel must give the same bits for every row count,
    /// panel range, ragged last panel and accumulate mode, and both must equal one scalar fused
    /// multiply-add chain per element (k ascending from 0). Skipped where the CPU lacks AVX-512.
    func testAVX512KernelEqualsTheSwiftKernelBitForBit() throws {
        try XCTSkipUnless(VectorKernels.avx512Available, "this CPU has no AVX-512: only the Swift kernel can run here")
        for (outputs, inner) in [(1, 1), (16, 5), (37, 64), (130, 129), (200, 33), (520, 17)] {
            let w = values(outputs * inner, seed: UInt64(outputs * 7 + inner))
            var packed = [Float](repeating: .nan, count: InvariantMatmul.packedCount(outputs: outputs, inner: inner))
            InvariantMatmul.pack(w, outputs: outputs, inner: inner, into: &packed)
            let panels = InvariantMatmul.panelCount(outputs: outputs)
            let ranges = [0..<panels, (panels / 3)..<panels, 0..<max(1, panels / 2)].filter { !$0.isEmpty }
            for rows in [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33] {
                let x = values(rows * inner, seed: UInt64(rows * 31 + inner))
                let initial = values(rows * outputs, seed: UInt64(rows + outputs))
                for range in ranges {
                    for accumulate in [false, true] {
                        func run(_ avx512: Bool) -> [Float] {
                            var y = accumulate ? initial : [Float](repeating: -7, count: rows * outputs)
                            y.withUnsafeMutableBufferPointer { yb in
                                x.withUnsafeBufferPointer { xb in
                                    packed.withUnsafeBufferPointer { pb in
                                        InvariantMatmul.packedPanels(range, y: yb.baseAddress!, x: xb.baseAddress!, packed: pb.baseAddress!,
                                                                     rows: rows, outputs: outputs, inner: inner,
                                                                     accumulate: accumulate, avx512: avx512)
                                    }
                                }
                            }
                            return y
                        }
                        let portable = run(false), wide = run(true)
                        XCTAssertEqual(portable.map(\.bitPattern), wide.map(\.bitPattern),
                                       "outputs \(outputs) inner \(inner) rows \(rows) panels \(range) accumulate \(accumulate)")
                        // Spot-check the chain itself on the panels' outputs (and untouched outside them).
                        let first = range.lowerBound * InvariantMatmul.panelWidth
                        let end = min(outputs, range.upperBound * InvariantMatmul.panelWidth)
                        for m in Set([0, rows / 2, rows - 1]) {
                            for n in Set([first, (first + end) / 2, end - 1, min(end, outputs - 1)]) {
                                let before = accumulate ? initial[m * outputs + n] : -7
                                guard n >= first && n < end else {
                                    XCTAssertEqual(wide[m * outputs + n], before, "an output outside the panels was written")
                                    continue
                                }
                                var chain: Float = 0
                                for k in 0..<inner { chain = chain.addingProduct(x[m * inner + k], w[n * inner + k]) }
                                let expected = accumulate ? before + chain : chain
                                XCTAssertEqual(wide[m * outputs + n].bitPattern, expected.bitPattern,
                                               "outputs \(outputs) inner \(inner) rows \(rows): element (\(m), \(n)) is not the k-ascending chain")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Q8_0 panels: the product must equal, bit for bit, the f32 kernel on the weights quantised
    /// to Q8_0 by ggml's rule and dequantised by the GGUF reader, with the AVX2 kernel and (where
    /// the CPU has it) the AVX-512 one, for every row count, ragged last panel and accumulate mode.
    func testQ8PanelsEqualTheFloatKernelOnTheDequantisedWeights() throws {
        for (outputs, inner) in [(1, 32), (16, 64), (37, 96), (130, 160), (520, 32)] {
            let w = values(outputs * inner, seed: UInt64(outputs * 13 + inner)).enumerated().map { $0.offset % 11 == 0 ? $0.element * 9 : $0.element }
            // The reference weights: Q8_0 and back through the GGUF reader.
            var bytes = [UInt8](repeating: 0, count: outputs * inner / 32 * 34)
            try w.withUnsafeBufferPointer { wb in try bytes.withUnsafeMutableBytes { try GGUFQuantizer.quantize(wb, as: .q8_0, into: $0) } }
            let matrix = try bytes.withUnsafeBytes { try QuantizedMatrix(type: .q8_0, rows: outputs, columns: inner, bytes: $0) }
            var dequantised = [Float](repeating: .nan, count: outputs * inner)
            dequantised.withUnsafeMutableBufferPointer { matrix.dequantize(into: $0.baseAddress!) }
            XCTAssertNotEqual(dequantised, w, "the test needs weights that Q8_0 changes")
            var floatPanels = [Float](repeating: .nan, count: InvariantMatmul.packedCount(outputs: outputs, inner: inner))
            InvariantMatmul.pack(dequantised, outputs: outputs, inner: inner, into: &floatPanels)
            let q8Bytes = PackedWeight.byteCount(outputs: outputs, inner: inner, format: .q8_0)
            let q8 = UnsafeMutableRawPointer.allocate(byteCount: q8Bytes, alignment: 64)
            defer { q8.deallocate() }
            w.withUnsafeBufferPointer { InvariantMatmul.packQ8_0($0.baseAddress!, outputs: outputs, inner: inner, into: q8) }
            let panels = InvariantMatmul.panelCount(outputs: outputs)
            for rows in [1, 2, 3, 5, 8, 9, 17, 32] {
                let x = values(rows * inner, seed: UInt64(rows + inner))
                let initial = values(rows * outputs, seed: UInt64(rows * outputs))
                for range in [0..<panels, (panels / 2)..<panels].filter({ !$0.isEmpty }) {
                    for accumulate in [false, true] {
                        func run(_ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>) -> Void) -> [UInt32] {
                            var y = accumulate ? initial : [Float](repeating: -3, count: rows * outputs)
                            y.withUnsafeMutableBufferPointer { yb in x.withUnsafeBufferPointer { body(yb.baseAddress!, $0.baseAddress!) } }
                            return y.map(\.bitPattern)
                        }
                        let expected = run { y, x in
                            floatPanels.withUnsafeBufferPointer {
                                InvariantMatmul.packedPanels(range, y: y, x: x, packed: $0.baseAddress!, rows: rows, outputs: outputs,
                                                             inner: inner, accumulate: accumulate, avx512: false)
                            }
                        }
                        var kernels = [false]
                        if VectorKernels.avx512Available { kernels.append(true) }
                        for avx512 in kernels {
                            let got = run { y, x in
                                InvariantMatmul.q8Panels(range, y: y, x: x, packed: UnsafeRawPointer(q8), rows: rows, outputs: outputs,
                                                         inner: inner, accumulate: accumulate, avx512: avx512)
                            }
                            XCTAssertEqual(got, expected, "outputs \(outputs) inner \(inner) rows \(rows) panels \(range) accumulate \(accumulate) avx512 \(avx512)")
                        }
                    }
                }
            }
        }
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
                InvariantMatmul.multiply(widths.indices.map { .init(y: ys[$0], weight: PackedWeight(base: UnsafeRawPointer(ps[$0]), format: .f32), outputs: widths[$0]) },
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
