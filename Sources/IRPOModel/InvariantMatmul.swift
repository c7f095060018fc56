import IRPOTensor

/// `y = x · Wᵀ` for decode steps, with every output element computed the same way whatever the
/// number of rows, their order or the thread count: one SIMD8 fused multiply-add accumulator
/// running over `k` in ascending order (the tail zero-padded), then a fixed horizontal sum.
///
/// BLAS `sgemm` picks different kernels (and summation orders) for different row counts, so a
/// sequence's logits would change in the last bits with the size of its batch and a sampled
/// token could flip. This kernel makes decoding batch-invariant: a sample depends only on its
/// own tokens. Tiles of 2 rows x 4 weight rows reuse loads; weight rows are split across
/// workers in fixed chunks.
enum InvariantMatmul {
    /// `y[m, n] = sum_k x[m, k] * w[n, k]` (or `+=` with `accumulate`).
    /// - Parameters:
    ///   - y: [rows, outputs], rows `outputs` apart.
    ///   - x: [rows, inner].
    ///   - w: [outputs, inner] (a linear layer's weight as stored by HF).
    static func multiply(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
        rows: Int, outputs: Int, inner: Int, accumulate: Bool = false
    ) {
        let yp = SendablePointer(y), xp = SendablePointer(x), wp = SendablePointer(w)
        let blocks = (outputs + 3) / 4
        Parallel.forEachChunk(count: blocks, minimumChunk: max(1, 16_384 / max(1, inner * max(1, rows)))) { range in
            let y = yp.pointer, x = UnsafePointer(xp.pointer), w = UnsafePointer(wp.pointer)
            for block in range {
                let n0 = block * 4
                let width = min(4, outputs - n0)
                var m = 0
                if width == 4 {
                    while m + 2 <= rows {
                        tile2x4(y: y, x: x, w: w, m: m, n: n0, outputs: outputs, inner: inner, accumulate: accumulate)
                        m += 2
                    }
                }
                while m < rows {
                    for n in n0..<(n0 + width) {
                        let value = dot(x + m * inner, w + n * inner, inner)
                        let out = y + m * outputs + n
                        out.pointee = accumulate ? out.pointee + value : value
                    }
                    m += 1
                }
            }
        }
    }

    /// One element: the reference arithmetic every tile reproduces.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD8<Float>()
        var k = 0
        while k + 8 <= count {
            acc = acc.addingProduct(VectorMath.load(a + k), VectorMath.load(b + k))
            k += 8
        }
        if k < count {
            acc = acc.addingProduct(VectorMath.load(a + k, count: count - k), VectorMath.load(b + k, count: count - k))
        }
        return VectorMath.horizontalSum(acc)
    }

    /// Rows `m, m+1` against weight rows `n..<n+4`, each element as in `dot`.
    @inline(__always)
    static func tile2x4(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
        m: Int, n: Int, outputs: Int, inner: Int, accumulate: Bool
    ) {
        let x0 = x + m * inner, x1 = x0 + inner
        let w0 = w + n * inner, w1 = w0 + inner, w2 = w1 + inner, w3 = w2 + inner
        var a00 = SIMD8<Float>(), a01 = SIMD8<Float>(), a02 = SIMD8<Float>(), a03 = SIMD8<Float>()
        var a10 = SIMD8<Float>(), a11 = SIMD8<Float>(), a12 = SIMD8<Float>(), a13 = SIMD8<Float>()
        var k = 0
        while k + 8 <= inner {
            let u = VectorMath.load(x0 + k), v = VectorMath.load(x1 + k)
            let b0 = VectorMath.load(w0 + k), b1 = VectorMath.load(w1 + k)
            let b2 = VectorMath.load(w2 + k), b3 = VectorMath.load(w3 + k)
            a00 = a00.addingProduct(u, b0); a01 = a01.addingProduct(u, b1)
            a02 = a02.addingProduct(u, b2); a03 = a03.addingProduct(u, b3)
            a10 = a10.addingProduct(v, b0); a11 = a11.addingProduct(v, b1)
            a12 = a12.addingProduct(v, b2); a13 = a13.addingProduct(v, b3)
            k += 8
        }
        if k < inner {
            let c = inner - k
            let u = VectorMath.load(x0 + k, count: c), v = VectorMath.load(x1 + k, count: c)
            let b0 = VectorMath.load(w0 + k, count: c), b1 = VectorMath.load(w1 + k, count: c)
            let b2 = VectorMath.load(w2 + k, count: c), b3 = VectorMath.load(w3 + k, count: c)
            a00 = a00.addingProduct(u, b0); a01 = a01.addingProduct(u, b1)
            a02 = a02.addingProduct(u, b2); a03 = a03.addingProduct(u, b3)
            a10 = a10.addingProduct(v, b0); a11 = a11.addingProduct(v, b1)
            a12 = a12.addingProduct(v, b2); a13 = a13.addingProduct(v, b3)
        }
        let r0 = y + m * outputs + n, r1 = r0 + outputs
        let values = (VectorMath.horizontalSum(a00), VectorMath.horizontalSum(a01), VectorMath.horizontalSum(a02),
                      VectorMath.horizontalSum(a03), VectorMath.horizontalSum(a10), VectorMath.horizontalSum(a11),
                      VectorMath.horizontalSum(a12), VectorMath.horizontalSum(a13))
        if accumulate {
            r0[0] += values.0; r0[1] += values.1; r0[2] += values.2; r0[3] += values.3
            r1[0] += values.4; r1[1] += values.5; r1[2] += values.6; r1[3] += values.7
        } else {
            r0[0] = values.0; r0[1] = values.1; r0[2] = values.2; r0[3] = values.3
            r1[0] = values.4; r1[1] = values.5; r1[2] = values.6; r1[3] = values.7
        }
    }
}
