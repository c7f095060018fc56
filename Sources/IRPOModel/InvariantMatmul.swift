import CIRPOKernels
import IRPOFormats
import IRPOTensor

/// `y = x · Wᵀ` for decode steps, with every output element computed the same way whatever the
/// number of rows, their order or the thread count.
///
/// BLAS `sgemm` picks different kernels (and summation orders) for different row counts, so a
/// sequence's logits would change in the last bits with the size of its batch and a sampled
/// token could flip. Here every element is one chain of fused multiply-adds,
/// `acc = fma(x[m, k], w[n, k], acc)` for `k` ascending from `acc = 0`, then stored (or added to
/// `y` with `accumulate`). Tiles only decide which independent chains share registers, so the
/// result of an element does not depend on the tile, the batch or the worker that computes it.
///
/// The weights are read in panels of `panelWidth` output rows stored `k`-major (`panel[k][j] =
/// w[n0 + j, k]`, zero past the last row), so a step loads one contiguous vector pair per `k`
/// and broadcasts each row's `x[m, k]`: a register-blocked kernel of 6 rows x 16 outputs that
/// needs no horizontal sums. `DecodeWeights` holds a model's weights packed this way; without
/// it, `multiply(y:x:w:...)` packs each panel on the fly (same arithmetic, more work).
///
/// On CPUs with AVX-512 (`VectorKernels.avx512`) the panels go through the C kernel
/// `irpo_invariant_panels_avx512`, which keeps a panel's 16 chains in one register instead of
/// two: the same chains in the same order, so the same bits.
enum InvariantMatmul {
    /// Outputs per panel (two SIMD8 vectors).
    static let panelWidth = 16

    /// Panels covering `outputs` rows.
    static func panelCount(outputs: Int) -> Int { (outputs + panelWidth - 1) / panelWidth }

    /// Floats of the packed form of a `[outputs, inner]` weight.
    static func packedCount(outputs: Int, inner: Int) -> Int { panelCount(outputs: outputs) * panelWidth * inner }

    /// Packs `w` `[outputs, inner]` into panels at `packed` (`packedCount` floats).
    static func pack(_ w: UnsafePointer<Float>, outputs: Int, inner: Int, into packed: UnsafeMutablePointer<Float>) {
        for panel in 0..<panelCount(outputs: outputs) {
            packPanel(w, panel: panel, outputs: outputs, inner: inner, into: packed + panel * panelWidth * inner)
        }
    }

    /// Packs the one panel `panel` of `w` into `destination` (`panelWidth * inner` floats).
    static func packPanel(_ w: UnsafePointer<Float>, panel: Int, outputs: Int, inner: Int, into destination: UnsafeMutablePointer<Float>) {
        let n0 = panel * panelWidth
        let width = min(panelWidth, outputs - n0)
        if width < panelWidth { destination.update(repeating: 0, count: panelWidth * inner) }
        for j in 0..<width {
            let row = w + (n0 + j) * inner
            var k = 0
            while k < inner {
                destination[k * panelWidth + j] = row[k]
                k += 1
            }
        }
    }

    /// `y[m, n] = sum_k x[m, k] * w[n, k]` (or `+=` with `accumulate`), packing each panel of
    /// `w` into scratch first.
    /// - Parameters:
    ///   - y: [rows, outputs], rows `outputs` apart.
    ///   - x: [rows, inner].
    ///   - w: [outputs, inner] (a linear layer's weight as stored by HF).
    static func multiply(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool = false
    ) {
        Parallel.forEachChunk(count: panelCount(outputs: outputs), minimumChunk: minimumChunk(rows: rows, inner: inner)) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: panelWidth * inner)
            defer { scratch.deallocate() }
            for panel in range {
                packPanel(UnsafePointer(w), panel: panel, outputs: outputs, inner: inner, into: scratch)
                packedPanels(panel..<(panel + 1), y: y, x: UnsafePointer(x), packed: UnsafePointer(scratch - panel * panelWidth * inner),
                             rows: rows, outputs: outputs, inner: inner, accumulate: accumulate)
            }
        }
    }

    /// As `multiply(y:x:w:...)` with `w` already packed (`pack`): the same results, bit for bit.
    static func multiply(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packed: UnsafePointer<Float>,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool = false
    ) {
        multiply(y: y, x: x, weight: PackedWeight(base: UnsafeRawPointer(packed), format: .f32),
                 rows: rows, outputs: outputs, inner: inner, accumulate: accumulate)
    }

    /// As `multiply(y:x:w:...)` with `w` packed as `weight` (f32 panels, or Q8_0 panels, whose
    /// results are those of the f32 kernel on the dequantised weights).
    static func multiply(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: PackedWeight,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool = false
    ) {
        Parallel.forEachChunk(count: panelCount(outputs: outputs), minimumChunk: minimumChunk(rows: rows, inner: inner)) { range in
            panels(range, y: y, x: UnsafePointer(x), weight: weight, rows: rows, outputs: outputs, inner: inner, accumulate: accumulate)
        }
    }

    /// One product of a fused call: `y [rows, outputs] = x · Wᵀ`, `W` packed.
    /// Unchecked Sendable: the packed weights are only read, and each output panel is written by exactly one worker.
    struct Product: @unchecked Sendable {
        let y: UnsafeMutablePointer<Float>
        let weight: PackedWeight
        let outputs: Int
    }

    /// Panels `range` of a packed weight in either format (one worker's share).
    @inline(__always)
    static func panels(
        _ range: Range<Int>, y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: PackedWeight,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool
    ) {
        switch weight.format {
        case .f32:
            packedPanels(range, y: y, x: x, packed: weight.base.assumingMemoryBound(to: Float.self),
                         rows: rows, outputs: outputs, inner: inner, accumulate: accumulate)
        case .q8_0:
            q8Panels(range, y: y, x: x, packed: weight.base, rows: rows, outputs: outputs, inner: inner, accumulate: accumulate)
        }
    }

    /// Bytes of one Q8_0 panel block (16 float scales, then 32 x 16 signed bytes, k-major).
    static let q8PanelBlockBytes = Int(IRPO_Q8_PANEL_BLOCK_BYTES)

    /// Packs `w` `[outputs, inner]` (`inner` a multiple of 32, every value finite) as Q8_0
    /// panels at `destination` (`PackedWeight.byteCount(..., format: .q8_0)` bytes): each row
    /// quantised as ggml's Q8_0 (`GGUFQuantizer`), its half scales widened to float.
    static func packQ8_0(_ w: UnsafePointer<Float>, outputs: Int, inner: Int, into destination: UnsafeMutableRawPointer) {
        let blocks = inner / 32
        let panelBytes = blocks * q8PanelBlockBytes
        destination.initializeMemory(as: UInt8.self, repeating: 0, count: panelCount(outputs: outputs) * panelBytes)
        var row = [UInt8](repeating: 0, count: blocks * 34)
        for n in 0..<outputs {
            row.withUnsafeMutableBytes { bytes in
                // Finite values and whole blocks were checked by the caller: quantising cannot fail.
                try? GGUFQuantizer.quantize(UnsafeBufferPointer(start: w + n * inner, count: inner), as: .q8_0, into: bytes)
            }
            let panel = destination + (n / panelWidth) * panelBytes
            let j = n % panelWidth
            for block in 0..<blocks {
                let source = block * 34
                let scale = Float(Float16(bitPattern: UInt16(row[source]) | UInt16(row[source + 1]) << 8))
                let target = panel + block * q8PanelBlockBytes
                target.storeBytes(of: scale, toByteOffset: 4 * j, as: Float.self)
                for k in 0..<32 {
                    target.storeBytes(of: row[source + 2 + k], toByteOffset: 64 + k * panelWidth + j, as: UInt8.self)
                }
            }
        }
    }

    /// Panels `range` of a Q8_0 weight (`packQ8_0`; `packed` is where panel 0 would be).
    @inline(__always)
    static func q8Panels(
        _ range: Range<Int>, y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packed: UnsafeRawPointer,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool, avx512: Bool = VectorKernels.avx512
    ) {
        let start = packed + range.lowerBound * (inner / 32) * q8PanelBlockBytes
        irpo_q8_panels(y, x, start, range.lowerBound, range.upperBound, rows, outputs, inner, accumulate ? 1 : 0, avx512 ? 1 : 0)
    }

    /// Several products of the same `x` (q/k/v, gate/up) in one parallel pass over all their
    /// panels: the same results as separate `multiply(y:x:packed:...)` calls, bit for bit, with
    /// one dispatch instead of several.
    static func multiply(_ products: [Product], x: UnsafePointer<Float>, rows: Int, inner: Int) {
        var firstPanels: [Int] = []
        var total = 0
        for product in products {
            firstPanels.append(total)
            total += panelCount(outputs: product.outputs)
        }
        let starts = firstPanels
        Parallel.forEachChunk(count: total, minimumChunk: minimumChunk(rows: rows, inner: inner)) { range in
            var part = (starts.lastIndex { $0 <= range.lowerBound }) ?? 0
            var panel = range.lowerBound
            while panel < range.upperBound {
                let product = products[part]
                let end = min(range.upperBound, starts[part] + panelCount(outputs: product.outputs))
                panels((panel - starts[part])..<(end - starts[part]), y: product.y, x: UnsafePointer(x),
                       weight: product.weight, rows: rows, outputs: product.outputs, inner: inner, accumulate: false)
                panel = end
                part += 1
            }
        }
    }

    /// Panels `range` of a packed product (one worker's share); `w` is where panel 0 would be.
    /// - Parameter avx512: run the AVX-512 kernel (only where the CPU has it); the result is
    ///   the same either way.
    @inline(__always)
    static func packedPanels(
        _ range: Range<Int>, y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packed w: UnsafePointer<Float>,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool, avx512: Bool = VectorKernels.avx512
    ) {
        let stride = panelWidth * inner
        if avx512 {
            irpo_invariant_panels_avx512(y, x, w + range.lowerBound * stride, range.lowerBound, range.upperBound,
                                         rows, outputs, inner, accumulate ? 1 : 0)
            return
        }
        var panel = range.lowerBound
        if rows == 1 {
            // One row: four panels at a time keep eight independent chains in flight.
            while panel + 4 <= range.upperBound {
                row1x4(y: y, x: x, panels: w + panel * stride, n0: panel * panelWidth,
                       outputs: outputs, inner: inner, accumulate: accumulate)
                panel += 4
            }
        }
        while panel < range.upperBound {
            panelRows(y: y, x: x, panel: w + panel * stride, n0: panel * panelWidth,
                      rows: rows, outputs: outputs, inner: inner, accumulate: accumulate)
            panel += 1
        }
    }

    /// Panels per worker chunk: enough multiply-adds (about 64k) to pay for a dispatch.
    private static func minimumChunk(rows: Int, inner: Int) -> Int {
        max(1, 65_536 / max(1, panelWidth * inner * rows))
    }

    /// Every row of `x` against one packed panel (outputs `n0..<n0+16`).
    @inline(__always)
    static func panelRows(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, panel: UnsafePointer<Float>, n0: Int,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool
    ) {
        let width = min(panelWidth, outputs - n0)
        var m = 0
        while m + 6 <= rows {
            tile6(y: y + m * outputs + n0, x: x + m * inner, panel: panel, width: width, outputs: outputs, inner: inner, accumulate: accumulate)
            m += 6
        }
        if rows - m >= 4 {
            tile4(y: y + m * outputs + n0, x: x + m * inner, panel: panel, width: width, outputs: outputs, inner: inner, accumulate: accumulate)
            m += 4
        }
        if rows - m >= 2 {
            tile2(y: y + m * outputs + n0, x: x + m * inner, panel: panel, width: width, outputs: outputs, inner: inner, accumulate: accumulate)
            m += 2
        }
        if m < rows {
            tile1(y: y + m * outputs + n0, x: x + m * inner, panel: panel, width: width, inner: inner, accumulate: accumulate)
        }
    }

    /// Writes (or adds) one row's 16 results, the first `width` of them.
    @inline(__always)
    static func put(_ low: SIMD8<Float>, _ high: SIMD8<Float>, to y: UnsafeMutablePointer<Float>, width: Int, accumulate: Bool) {
        if width == panelWidth {
            if accumulate {
                VectorMath.store(VectorMath.load(y) + low, y)
                VectorMath.store(VectorMath.load(y + 8) + high, y + 8)
            } else {
                VectorMath.store(low, y)
                VectorMath.store(high, y + 8)
            }
            return
        }
        for j in 0..<width {
            let value = j < 8 ? low[j] : high[j - 8]
            y[j] = accumulate ? y[j] + value : value
        }
    }

    /// Rows `0..<6` of `x` (rows `inner` apart) against one panel; `y` rows `outputs` apart.
    @inline(__always)
    static func tile6(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, panel: UnsafePointer<Float>,
        width: Int, outputs: Int, inner: Int, accumulate: Bool
    ) {
        let x0 = x, x1 = x0 + inner, x2 = x1 + inner, x3 = x2 + inner, x4 = x3 + inner, x5 = x4 + inner
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>(), c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var p = panel
        for k in 0..<inner {
            let b0 = VectorMath.load(p), b1 = VectorMath.load(p + 8)
            var a = SIMD8<Float>(repeating: x0[k])
            c00 = c00.addingProduct(a, b0); c01 = c01.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x1[k])
            c10 = c10.addingProduct(a, b0); c11 = c11.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x2[k])
            c20 = c20.addingProduct(a, b0); c21 = c21.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x3[k])
            c30 = c30.addingProduct(a, b0); c31 = c31.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x4[k])
            c40 = c40.addingProduct(a, b0); c41 = c41.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x5[k])
            c50 = c50.addingProduct(a, b0); c51 = c51.addingProduct(a, b1)
            p += panelWidth
        }
        put(c00, c01, to: y, width: width, accumulate: accumulate)
        put(c10, c11, to: y + outputs, width: width, accumulate: accumulate)
        put(c20, c21, to: y + 2 * outputs, width: width, accumulate: accumulate)
        put(c30, c31, to: y + 3 * outputs, width: width, accumulate: accumulate)
        put(c40, c41, to: y + 4 * outputs, width: width, accumulate: accumulate)
        put(c50, c51, to: y + 5 * outputs, width: width, accumulate: accumulate)
    }

    /// Rows `0..<4` against one panel (as `tile6`).
    @inline(__always)
    static func tile4(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, panel: UnsafePointer<Float>,
        width: Int, outputs: Int, inner: Int, accumulate: Bool
    ) {
        let x0 = x, x1 = x0 + inner, x2 = x1 + inner, x3 = x2 + inner
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var p = panel
        for k in 0..<inner {
            let b0 = VectorMath.load(p), b1 = VectorMath.load(p + 8)
            var a = SIMD8<Float>(repeating: x0[k])
            c00 = c00.addingProduct(a, b0); c01 = c01.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x1[k])
            c10 = c10.addingProduct(a, b0); c11 = c11.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x2[k])
            c20 = c20.addingProduct(a, b0); c21 = c21.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x3[k])
            c30 = c30.addingProduct(a, b0); c31 = c31.addingProduct(a, b1)
            p += panelWidth
        }
        put(c00, c01, to: y, width: width, accumulate: accumulate)
        put(c10, c11, to: y + outputs, width: width, accumulate: accumulate)
        put(c20, c21, to: y + 2 * outputs, width: width, accumulate: accumulate)
        put(c30, c31, to: y + 3 * outputs, width: width, accumulate: accumulate)
    }

    /// Rows `0..<2` against one panel (as `tile6`).
    @inline(__always)
    static func tile2(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, panel: UnsafePointer<Float>,
        width: Int, outputs: Int, inner: Int, accumulate: Bool
    ) {
        let x0 = x, x1 = x0 + inner
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var p = panel
        for k in 0..<inner {
            let b0 = VectorMath.load(p), b1 = VectorMath.load(p + 8)
            var a = SIMD8<Float>(repeating: x0[k])
            c00 = c00.addingProduct(a, b0); c01 = c01.addingProduct(a, b1)
            a = SIMD8<Float>(repeating: x1[k])
            c10 = c10.addingProduct(a, b0); c11 = c11.addingProduct(a, b1)
            p += panelWidth
        }
        put(c00, c01, to: y, width: width, accumulate: accumulate)
        put(c10, c11, to: y + outputs, width: width, accumulate: accumulate)
    }

    /// One row against one panel (as `tile6`).
    @inline(__always)
    static func tile1(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, panel: UnsafePointer<Float>,
        width: Int, inner: Int, accumulate: Bool
    ) {
        var c0 = SIMD8<Float>(), c1 = SIMD8<Float>()
        var p = panel
        for k in 0..<inner {
            let a = SIMD8<Float>(repeating: x[k])
            c0 = c0.addingProduct(a, VectorMath.load(p)); c1 = c1.addingProduct(a, VectorMath.load(p + 8))
            p += panelWidth
        }
        put(c0, c1, to: y, width: width, accumulate: accumulate)
    }

    /// One row against four consecutive packed panels (outputs `n0..<n0+64`, clipped to
    /// `outputs`), each chain as in `tile6`.
    @inline(__always)
    static func row1x4(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, panels: UnsafePointer<Float>, n0: Int,
        outputs: Int, inner: Int, accumulate: Bool
    ) {
        let stride = panelWidth * inner
        let q0 = panels, q1 = q0 + stride, q2 = q1 + stride, q3 = q2 + stride
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var offset = 0
        for k in 0..<inner {
            let a = SIMD8<Float>(repeating: x[k])
            c00 = c00.addingProduct(a, VectorMath.load(q0 + offset)); c01 = c01.addingProduct(a, VectorMath.load(q0 + offset + 8))
            c10 = c10.addingProduct(a, VectorMath.load(q1 + offset)); c11 = c11.addingProduct(a, VectorMath.load(q1 + offset + 8))
            c20 = c20.addingProduct(a, VectorMath.load(q2 + offset)); c21 = c21.addingProduct(a, VectorMath.load(q2 + offset + 8))
            c30 = c30.addingProduct(a, VectorMath.load(q3 + offset)); c31 = c31.addingProduct(a, VectorMath.load(q3 + offset + 8))
            offset += panelWidth
        }
        let out = y + n0
        put(c00, c01, to: out, width: min(panelWidth, outputs - n0), accumulate: accumulate)
        put(c10, c11, to: out + panelWidth, width: min(panelWidth, outputs - n0 - panelWidth), accumulate: accumulate)
        put(c20, c21, to: out + 2 * panelWidth, width: min(panelWidth, outputs - n0 - 2 * panelWidth), accumulate: accumulate)
        put(c30, c31, to: out + 3 * panelWidth, width: min(panelWidth, outputs - n0 - 3 * panelWidth), accumulate: accumulate)
    }
}
