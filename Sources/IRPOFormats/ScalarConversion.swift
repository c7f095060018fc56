/// Vectorised conversions between stored scalar encodings and `Float`.
///
/// Sources are raw little-endian bytes at any alignment. Half-precision conversions go through
/// `Float16` SIMD conversions (F16C on x86-64); bfloat16 widens by a 16-bit shift and narrows with
/// round-to-nearest-even.
enum ScalarConversion {
    /// Widens `count` IEEE half-precision values at `source` to `Float` (exact).
    static func halfToFloat(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        var index = 0
        while index + 8 <= count {
            let half = (source + 2 * index).loadUnaligned(as: SIMD8<Float16>.self)
            (UnsafeMutableRawPointer(destination + index)).storeBytes(of: SIMD8<Float>(half), as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            destination[index] = Float((source + 2 * index).loadUnaligned(as: Float16.self))
            index += 1
        }
    }

    /// Widens `count` bfloat16 values at `source` to `Float` (exact: the bits shifted left by 16).
    static func bfloat16ToFloat(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        var index = 0
        while index + 8 <= count {
            let raw = (source + 2 * index).loadUnaligned(as: SIMD8<UInt16>.self)
            let wide = SIMD8<UInt32>(truncatingIfNeeded: raw) &<< 16
            (UnsafeMutableRawPointer(destination + index)).storeBytes(of: unsafeBitCast(wide, to: SIMD8<Float>.self), as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            let raw = (source + 2 * index).loadUnaligned(as: UInt16.self)
            destination[index] = Float(bitPattern: UInt32(raw) << 16)
            index += 1
        }
    }

    /// Copies `count` little-endian `Float` values from `source` (any alignment).
    static func floatToFloat(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: 4 * count)
    }

    /// Narrows `count` little-endian `Double` values at `source` to `Float` (round to nearest even).
    static func doubleToFloat(_ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>) {
        for index in 0..<count {
            destination[index] = Float((source + 8 * index).loadUnaligned(as: Double.self))
        }
    }

    /// Narrows `count` floats to IEEE half precision (round to nearest even), storing little-endian bits.
    static func floatToHalf(_ source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer) {
        var index = 0
        while index + 8 <= count {
            let wide = UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
            (destination + 2 * index).storeBytes(of: SIMD8<Float16>(wide), as: SIMD8<Float16>.self)
            index += 8
        }
        while index < count {
            (destination + 2 * index).storeBytes(of: Float16(source[index]), as: Float16.self)
            index += 1
        }
    }

    /// Narrows one float to bfloat16 bits with round-to-nearest-even; NaN becomes a quiet NaN with the same sign.
    @inline(__always)
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Narrows `count` floats to bfloat16 (round to nearest even), storing little-endian bits.
    static func floatToBFloat16(_ source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer) {
        var index = 0
        while index + 8 <= count {
            let wide = UnsafeRawPointer(source + index).loadUnaligned(as: SIMD8<Float>.self)
            let bits = unsafeBitCast(wide, to: SIMD8<UInt32>.self)
            let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
            let quietNaN = (bits &>> 16) | 0x0040
            let chosen = rounded.replacing(with: quietNaN, where: wide .!= wide)
            (destination + 2 * index).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: chosen), as: SIMD8<UInt16>.self)
            index += 8
        }
        while index < count {
            (destination + 2 * index).storeBytes(of: bfloat16Bits(source[index]), as: UInt16.self)
            index += 1
        }
    }
}
