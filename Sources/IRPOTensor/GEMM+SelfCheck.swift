extension GEMM {
    /// Checks that the BLAS kernels in use compute correct products: a few small `sgemm` calls of
    /// odd and even shapes in all four transpose combinations, with `alpha`/`beta`, against a
    /// double-precision reference. Takes a few milliseconds.
    /// - Returns: nil when every product is within float rounding of the reference, else a
    ///   description of the first wrong one.
    public static func selfCheck() -> String? {
        let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (7, 5, 3), (37, 53, 29), (64, 64, 64), (129, 65, 257), (200, 300, 160)]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int32(truncatingIfNeeded: state >> 33) % 2001) / 1000   // in [-2, 2]
        }
        for (index, shape) in shapes.enumerated() {
            let (m, n, k) = shape
            for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                let a = (0..<(m * k)).map { _ in next() }
                let b = (0..<(k * n)).map { _ in next() }
                let c0 = (0..<(m * n)).map { _ in next() }
                let alpha: Float = index.isMultiple(of: 2) ? 1 : 0.5
                let beta: Float = index.isMultiple(of: 2) ? 0 : 1
                var c = c0
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        c.withUnsafeMutableBufferPointer { pc in
                            multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                     a: pa.baseAddress!, b: pb.baseAddress!, beta: beta, c: pc.baseAddress!)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0, magnitude = 0.0
                        for p in 0..<k {
                            let x = Double(transposeA ? a[p * m + i] : a[i * k + p])
                            let y = Double(transposeB ? b[j * k + p] : b[p * n + j])
                            sum += x * y
                            magnitude += abs(x * y)
                        }
                        let expected = Double(alpha) * sum + Double(beta) * Double(c0[i * n + j])
                        let tolerance = 1e-5 * (Double(alpha) * magnitude + abs(Double(beta) * Double(c0[i * n + j]))) + 1e-6
                        if !(abs(Double(c[i * n + j]) - expected) <= tolerance) {
                            return "sgemm \(m)x\(n)x\(k) (transposeA \(transposeA), transposeB \(transposeB)): C[\(i),\(j)] = \(c[i * n + j]), expected \(expected)"
                        }
                    }
                }
            }
        }
        return nil
    }
}
