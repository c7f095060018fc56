/// Root-mean-square layer norm with Hugging Face semantics:
/// `y = weight * (x / sqrt(mean(x^2) + epsilon))`.
public enum RMSNorm {
    /// Normalizes each row of `input` and saves `1/sqrt(mean(x^2)+eps)` per row for backward.
    /// - Parameters:
    ///   - output: [tokens, channels] (may not alias `input`).
    ///   - inverseRMS: [tokens], saved for backward.
    ///   - input: [tokens, channels].
    ///   - weight: [channels].
    public static func forward(
        output: UnsafeMutablePointer<Float>, inverseRMS: UnsafeMutablePointer<Float>,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        tokens: Int, channels: Int, epsilon: Float
    ) {
        Parallel.forEachChunk(count: tokens, minimumChunk: max(1, 8192 / max(1, channels))) { range in
            for t in range {
                let x = input + t * channels
                let y = output + t * channels
                let meanSquare = VectorMath.dot(x, x, count: channels) / Float(channels)
                let inv = 1 / (meanSquare + epsilon).squareRoot()
                inverseRMS[t] = inv
                let s = SIMD8<Float>(repeating: inv)
                var c = 0
                while c + 8 <= channels {
                    VectorMath.store(VectorMath.load(weight + c) * (VectorMath.load(x + c) * s), y + c)
                    c += 8
                }
                if c < channels {
                    let n = channels - c
                    VectorMath.store(VectorMath.load(weight + c, count: n) * (VectorMath.load(x + c, count: n) * s), y + c, count: n)
                }
            }
        }
    }

    /// Rows per block of the `dWeight` reduction: each block sums its rows in order into a
    /// partial vector, and the partials are added in block order, so the result depends on
    /// neither the thread count nor the partition.
    @usableFromInline static let reductionBlock = 32

    /// Accumulates the gradients of `forward`:
    /// `dInput += inv * (g - xhat * mean(g * xhat))` with `g = weight * dOutput`, `xhat = x * inv`,
    /// and `dWeight += sum over rows of dOutput * xhat` (summed in fixed blocks of rows).
    /// - Parameters:
    ///   - dInput: [tokens, channels] (accumulated).
    ///   - dWeight: [channels] (accumulated).
    ///   - dOutput: [tokens, channels].
    ///   - input: [tokens, channels], as given to forward.
    ///   - weight: [channels].
    ///   - inverseRMS: [tokens], saved by forward.
    public static func backward(
        dInput: UnsafeMutablePointer<Float>, dWeight: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
        inverseRMS: UnsafePointer<Float>, tokens: Int, channels: Int
    ) {
        if tokens == 0 || channels == 0 { return }
        let blocks = (tokens + reductionBlock - 1) / reductionBlock
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: blocks * channels)
        defer { partials.deallocate() }
        partials.initialize(repeating: 0, count: blocks * channels)
        let minimumBlocks = max(1, 8192 / max(1, channels * reductionBlock))
        Parallel.forEachChunk(count: blocks, minimumChunk: minimumBlocks) { blockRange in
            for block in blockRange {
                let partial = partials + block * channels
                for t in (block * reductionBlock)..<min(tokens, (block + 1) * reductionBlock) {
                    backwardRow(dx: dInput + t * channels, partial: partial, dy: dOutput + t * channels,
                                x: input + t * channels, weight: weight, inv: inverseRMS[t], channels: channels)
                }
            }
        }
        // dWeight += partials summed in block order.
        var c = 0
        while c < channels {
            let n = Swift.min(8, channels - c)
            var acc = n == 8 ? VectorMath.load(dWeight + c) : VectorMath.load(dWeight + c, count: n)
            for block in 0..<blocks {
                let p = partials + block * channels + c
                acc += n == 8 ? VectorMath.load(p) : VectorMath.load(p, count: n)
            }
            if n == 8 { VectorMath.store(acc, dWeight + c) } else { VectorMath.store(acc, dWeight + c, count: n) }
            c += 8
        }
    }

    /// One row of the backward: `dx += inv * g - x * (inv^3 * sum(g * x) / C)` with
    /// `g = weight * dy`, and `partial += dy * x * inv`.
    @inline(__always)
    static func backwardRow(
        dx: UnsafeMutablePointer<Float>, partial: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>,
        x: UnsafePointer<Float>, weight: UnsafePointer<Float>, inv: Float, channels: Int
    ) {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var c = 0
        while c + 16 <= channels {
            acc0 = acc0.addingProduct(VectorMath.load(weight + c) * VectorMath.load(dy + c), VectorMath.load(x + c))
            acc1 = acc1.addingProduct(VectorMath.load(weight + c + 8) * VectorMath.load(dy + c + 8), VectorMath.load(x + c + 8))
            c += 16
        }
        while c + 8 <= channels {
            acc0 = acc0.addingProduct(VectorMath.load(weight + c) * VectorMath.load(dy + c), VectorMath.load(x + c))
            c += 8
        }
        if c < channels {
            let n = channels - c
            acc1 = acc1.addingProduct(VectorMath.load(weight + c, count: n) * VectorMath.load(dy + c, count: n), VectorMath.load(x + c, count: n))
        }
        let gx = VectorMath.horizontalSum(acc0 + acc1)
        let a = SIMD8<Float>(repeating: inv)
        let b = SIMD8<Float>(repeating: -inv * inv * inv * gx / Float(channels))
        c = 0
        while c + 8 <= channels {
            let dys = VectorMath.load(dy + c), xs = VectorMath.load(x + c)
            let update = (VectorMath.load(weight + c) * dys * a).addingProduct(xs, b)
            VectorMath.store(VectorMath.load(dx + c) + update, dx + c)
            VectorMath.store(VectorMath.load(partial + c).addingProduct(dys, xs * a), partial + c)
            c += 8
        }
        if c < channels {
            let n = channels - c
            let dys = VectorMath.load(dy + c, count: n), xs = VectorMath.load(x + c, count: n)
            let update = (VectorMath.load(weight + c, count: n) * dys * a).addingProduct(xs, b)
            VectorMath.store(VectorMath.load(UnsafePointer(dx + c), count: n) + update, dx + c, count: n)
            VectorMath.store(VectorMath.load(UnsafePointer(partial + c), count: n).addingProduct(dys, xs * a), partial + c, count: n)
        }
    }
}
