/// The SwiGLU gate of a Llama MLP: `output = silu(gate) * up`, `silu(g) = g * sigmoid(g)`.
public enum SwiGLU {
    @usableFromInline static let minimumChunk = 1 << 13

    /// `output[i] = silu(gate[i]) * up[i]`.
    /// - Parameters: output [count] (may alias `gate` or `up` only if backward does not need
    ///   them), gate [count], up [count]; `count` is tokens * intermediate.
    public static func forward(
        output: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            var i = range.lowerBound
            let end = range.upperBound
            while i + 16 <= end {
                let g = VectorMath.load16(gate + i)
                VectorMath.store16(g * VectorMath.load16(up + i) / (1 + VectorMath.exp(-g)), output + i)
                i += 16
            }
            if i + 8 <= end {
                VectorMath.store(forward8(VectorMath.load(gate + i), VectorMath.load(up + i)), output + i)
                i += 8
            }
            if i < end {
                let n = end - i
                VectorMath.store(forward8(VectorMath.load(gate + i, count: n), VectorMath.load(up + i, count: n)), output + i, count: n)
            }
        }
    }

    @inline(__always)
    static func forward8(_ g: SIMD8<Float>, _ u: SIMD8<Float>) -> SIMD8<Float> {
        g * u / (1 + VectorMath.exp(-g))
    }

    /// Accumulates `dGate += dOutput * up * sigmoid(g) * (1 + g * (1 - sigmoid(g)))` and
    /// `dUp += dOutput * silu(g)`.
    /// - Parameters: dGate [count] (accumulated), dUp [count] (accumulated), dOutput [count],
    ///   gate [count], up [count] as given to forward.
    public static func backward(
        dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
            var i = range.lowerBound
            let end = range.upperBound
            while i + 16 <= end {
                backward16(dGate + i, dUp + i, dOutput + i, gate + i, up + i)
                i += 16
            }
            if i + 8 <= end {
                backward8(dGate + i, dUp + i, dOutput + i, gate + i, up + i)
                i += 8
            }
            if i < end {
                // Copy the tail through full vectors so it sees the same arithmetic.
                let n = end - i
                var tail = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                tail.0 = VectorMath.load(UnsafePointer(dGate + i), count: n)
                tail.1 = VectorMath.load(UnsafePointer(dUp + i), count: n)
                tail.2 = VectorMath.load(dOutput + i, count: n)
                tail.3 = VectorMath.load(gate + i, count: n)
                tail.4 = VectorMath.load(up + i, count: n)
                withUnsafeMutablePointer(to: &tail) { raw in
                    raw.withMemoryRebound(to: Float.self, capacity: 40) { p in
                        backward8(p, p + 8, p + 16, p + 24, p + 32)
                        VectorMath.store(VectorMath.load(p), dGate + i, count: n)
                        VectorMath.store(VectorMath.load(p + 8), dUp + i, count: n)
                    }
                }
            }
        }
    }

    /// `backward8` on 16 lanes (same arithmetic per lane).
    @inline(__always)
    static func backward16(
        _ dGate: UnsafeMutablePointer<Float>, _ dUp: UnsafeMutablePointer<Float>,
        _ dOutput: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>
    ) {
        let g = VectorMath.load16(gate), u = VectorMath.load16(up), dy = VectorMath.load16(dOutput)
        let sigmoid = 1 / (1 + VectorMath.exp(-g))
        let silu = g * sigmoid
        let dSilu = sigmoid * (1 + g * (1 - sigmoid))
        VectorMath.store16(VectorMath.load16(dGate) + dy * u * dSilu, dGate)
        VectorMath.store16(VectorMath.load16(dUp) + dy * silu, dUp)
    }

    @inline(__always)
    static func backward8(
        _ dGate: UnsafeMutablePointer<Float>, _ dUp: UnsafeMutablePointer<Float>,
        _ dOutput: UnsafePointer<Float>, _ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>
    ) {
        let g = VectorMath.load(gate), u = VectorMath.load(up), dy = VectorMath.load(dOutput)
        let sigmoid = 1 / (1 + VectorMath.exp(-g))
        let silu = g * sigmoid
        let dSilu = sigmoid * (1 + g * (1 - sigmoid))
        VectorMath.store(VectorMath.load(dGate) + dy * u * dSilu, dGate)
        VectorMath.store(VectorMath.load(dUp) + dy * silu, dUp)
    }
}
