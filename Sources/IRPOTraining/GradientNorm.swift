import IRPOTensor

/// Global gradient L2 norm and clipping over a flat buffer.
///
/// The sum of squares is taken in fixed blocks of `blockSize` elements (Float SIMD8 partial
/// sums per block, blocks added in order in Double), so the norm does not depend on the thread
/// count.
public enum GradientNorm {
    /// Elements per partial sum.
    public static let blockSize = 1 << 14

    /// sqrt(sum of squares) of `values[0..<count]`; NaN or infinity if any element is.
    public static func l2(_ values: UnsafePointer<Float>, count: Int) -> Double {
        let blocks = (count + blockSize - 1) / blockSize
        guard blocks > 0 else { return 0 }
        let partials = UnsafeMutablePointer<Double>.allocate(capacity: blocks)
        defer { partials.deallocate() }
        Parallel.forEach(count: blocks) { block in
            let start = block * blockSize
            let end = min(count, start + blockSize)
            var accumulators = (SIMD8<Float>(), SIMD8<Float>())
            var index = start
            while index + 16 <= end {
                let a = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
                let b = UnsafeRawPointer(values + index + 8).loadUnaligned(as: SIMD8<Float>.self)
                accumulators.0 += a * a
                accumulators.1 += b * b
                index += 16
            }
            var total = Double((accumulators.0 + accumulators.1).sum())
            while index < end {
                let value = values[index]
                total += Double(value * value)
                index += 1
            }
            partials[block] = total
        }
        var sum = 0.0
        for block in 0..<blocks { sum += partials[block] }
        return sum.squareRoot()
    }

    /// Scales `values` so their norm is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`
    /// does: by min(1, maxNorm / (norm + 1e-6)). Returns the factor used (1 when unchanged).
    @discardableResult
    public static func clip(_ values: UnsafeMutablePointer<Float>, count: Int, norm: Double, maxNorm: Double) -> Float {
        let factor = maxNorm / (norm + 1e-6)
        guard factor < 1 else { return 1 }
        let scale = Float(factor)
        Parallel.forEachChunk(count: count, minimumChunk: 1 << 15) { range in
            for index in range { values[index] *= scale }
        }
        return scale
    }
}
