/// SIMD8 helpers shared by the kernels: unaligned loads and stores, tail handling, a polynomial
/// `exp`, and row reductions.
///
/// Tails (the last `count % 8` elements of a row) go through the same SIMD8 operations on a
/// zero-padded vector, so every element sees the same arithmetic wherever it sits in a row and
/// however rows are split across workers.
public enum VectorMath {
    /// Loads 8 floats from `pointer` (no alignment needed).
    @inline(__always) @inlinable
    public static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Loads 8 floats from `pointer` (no alignment needed).
    @inline(__always) @inlinable
    public static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Loads `count` (< 8) floats, filling the other lanes with `padding`.
    @inline(__always) @inlinable
    public static func load(_ pointer: UnsafePointer<Float>, count: Int, padding: Float = 0) -> SIMD8<Float> {
        var vector = SIMD8<Float>(repeating: padding)
        for lane in 0..<count { vector[lane] = pointer[lane] }
        return vector
    }

    /// Stores 8 floats at `pointer` (no alignment needed).
    @inline(__always) @inlinable
    public static func store(_ vector: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: SIMD8<Float>.self)
    }

    /// Stores the first `count` (< 8) lanes at `pointer`.
    @inline(__always) @inlinable
    public static func store(_ vector: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>, count: Int) {
        for lane in 0..<count { pointer[lane] = vector[lane] }
    }

    /// `e^x` lane by lane (Cephes-style polynomial with a 2^n scale; max relative error ~1e-7
    /// for `x` in [-87, 88]). Inputs below -87.3 give 0; inputs above 88 are clamped to 88
    /// (the kernels only call it on values <= 0 or on `-x` for a sigmoid). NaN stays NaN.
    @_transparent
    public static func exp(_ input: SIMD8<Float>) -> SIMD8<Float> {
        var x = input.replacing(with: 88.0, where: input .> 88.0)
        x = x.replacing(with: -87.0, where: input .< -87.0)
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 * 2^23: round to nearest integer
        let t = magic.addingProduct(x, SIMD8(repeating: 1.442_695_040_888_963_4))
        let n = t - magic
        var r = x.addingProduct(n, SIMD8(repeating: -0.693_359_375))
        r = r.addingProduct(n, SIMD8(repeating: 2.121_944_4e-4))
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = SIMD8(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = SIMD8(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = SIMD8(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = SIMD8(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = SIMD8(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let y = (r + 1).addingProduct(r * r, p)
        let bits = unsafeBitCast(t, to: SIMD8<UInt32>.self)
        let scaleBits = (bits &<< 23) &+ SIMD8(repeating: 127 << 23)
        let result = y * unsafeBitCast(scaleBits, to: SIMD8<Float>.self)
        return result.replacing(with: 0, where: input .< -87.3)
    }

    /// `exp` on 16 lanes: the same arithmetic lane by lane as the SIMD8 version (bit-identical
    /// results), but two independent dependency chains per call, which keeps the FMA units busy
    /// (~25% faster per element in a loop).
    @_transparent
    public static func exp(_ input: SIMD16<Float>) -> SIMD16<Float> {
        var x = input.replacing(with: 88.0, where: input .> 88.0)
        x = x.replacing(with: -87.0, where: input .< -87.0)
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let t = magic.addingProduct(x, SIMD16(repeating: 1.442_695_040_888_963_4))
        let n = t - magic
        var r = x.addingProduct(n, SIMD16(repeating: -0.693_359_375))
        r = r.addingProduct(n, SIMD16(repeating: 2.121_944_4e-4))
        var p = SIMD16<Float>(repeating: 1.987_569_150_0e-4)
        p = SIMD16(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = SIMD16(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = SIMD16(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = SIMD16(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = SIMD16(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let y = (r + 1).addingProduct(r * r, p)
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self)
        let scaleBits = (bits &<< 23) &+ SIMD16(repeating: 127 << 23)
        let result = y * unsafeBitCast(scaleBits, to: SIMD16<Float>.self)
        return result.replacing(with: 0, where: input .< -87.3)
    }

    /// Loads 16 floats from `pointer` (no alignment needed).
    @inline(__always) @inlinable
    public static func load16(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Stores 16 floats at `pointer` (no alignment needed).
    @inline(__always) @inlinable
    public static func store16(_ vector: SIMD16<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: vector, as: SIMD16<Float>.self)
    }

    /// Largest of the 8 lanes.
    @inline(__always) @inlinable
    public static func horizontalMax(_ vector: SIMD8<Float>) -> Float {
        var best = vector[0]
        for lane in 1..<8 where vector[lane] > best { best = vector[lane] }
        return best
    }

    /// Sum of the 8 lanes in a fixed pairwise order.
    @inline(__always) @inlinable
    public static func horizontalSum(_ vector: SIMD8<Float>) -> Float {
        let four = vector.lowHalf + vector.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// `sum(a[i] * b[i])` for `i < count`, with two SIMD accumulators.
    @inline(__always) @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var i = 0
        while i + 16 <= count {
            acc0 = acc0.addingProduct(load(a + i), load(b + i))
            acc1 = acc1.addingProduct(load(a + i + 8), load(b + i + 8))
            i += 16
        }
        if i + 8 <= count {
            acc0 = acc0.addingProduct(load(a + i), load(b + i))
            i += 8
        }
        if i < count {
            acc1 = acc1.addingProduct(load(a + i, count: count - i), load(b + i, count: count - i))
        }
        return horizontalSum(acc0 + acc1)
    }

    /// Largest of `pointer[0..<count]` (`count` >= 1).
    @inline(__always) @inlinable
    public static func max(_ pointer: UnsafePointer<Float>, count: Int) -> Float {
        var best = SIMD8<Float>(repeating: -.infinity)
        var i = 0
        while i + 8 <= count {
            let v = load(pointer + i)
            best = best.replacing(with: v, where: v .> best)
            i += 8
        }
        if i < count {
            let v = load(pointer + i, count: count - i, padding: -.infinity)
            best = best.replacing(with: v, where: v .> best)
        }
        return horizontalMax(best)
    }
}
