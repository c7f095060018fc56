/// K-quant super-blocks of 256 elements (ggml's QK_K), following gguf-py's numpy arithmetic.
extension GGUFDequantizer {
    /// Unpacks Q4_K/Q5_K's 12 bytes of 6-bit scales and mins (8 each).
    @inline(__always)
    static func scalesAndMins(_ pointer: UnsafeRawPointer) -> (scales: SIMD8<Float>, mins: SIMD8<Float>) {
        var scales = SIMD8<Float>(), mins = SIMD8<Float>()
        for j in 0..<4 {
            let d = pointer.load(fromByteOffset: j, as: UInt8.self)
            let m = pointer.load(fromByteOffset: 4 + j, as: UInt8.self)
            let md = pointer.load(fromByteOffset: 8 + j, as: UInt8.self)
            scales[j] = Float(d & 0x3F)
            mins[j] = Float(m & 0x3F)
            scales[j + 4] = Float((md & 0x0F) | ((d >> 2) & 0x30))
            mins[j + 4] = Float((md >> 4) | ((m >> 2) & 0x30))
        }
        return (scales, mins)
    }

    /// Q2_K (84 bytes): 16 scale bytes (low nibble scale, high nibble min), 64 bytes of 2-bit values,
    /// half d, half dmin; x = (d * sc) * q - (dmin * m) per group of 16.
    static func dequantizeQ2_K(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 84, output = destination + block * 256
            let d = half(pointer, 80), dmin = half(pointer, 82)
            let quants = pointer + 16
            for h in 0..<2 {
                for s in 0..<4 {
                    for part in 0..<2 {
                        let group = h * 8 + s * 2 + part
                        let scaleByte = pointer.load(fromByteOffset: group, as: UInt8.self)
                        let scale = d * Float(scaleByte & 0x0F), minimum = dmin * Float(scaleByte >> 4)
                        let raw = quants.loadUnaligned(fromByteOffset: h * 32 + part * 16, as: SIMD16<UInt8>.self)
                        let q = floats((raw &>> UInt8(2 * s)) & 3)
                        store(scale * q - minimum, output + h * 128 + s * 32 + part * 16)
                    }
                }
            }
        }
    }

    /// Q3_K (110 bytes): 32 bytes high-bit mask, 64 bytes of 2-bit values, 12 bytes of 6-bit signed scales,
    /// half d; x = (d * (sc - 32)) * (q - 4 * (1 - hbit)) per group of 16.
    static func dequantizeQ3_K(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 110, output = destination + block * 256
            let mask = pointer, quants = pointer + 32, packed = pointer + 96
            let d = half(pointer, 108)
            var scales = SIMD16<Float>()
            for i in 0..<16 {
                let lowByte = packed.load(fromByteOffset: i % 8, as: UInt8.self)
                let low = i < 8 ? lowByte & 0x0F : lowByte >> 4
                let high = (packed.load(fromByteOffset: 8 + i % 4, as: UInt8.self) >> UInt8(2 * (i / 4))) & 3
                scales[i] = d * Float(Int(low | (high << 4)) - 32)
            }
            for h in 0..<2 {
                for s in 0..<4 {
                    let bit = UInt8(h * 4 + s)
                    for part in 0..<2 {
                        let raw = quants.loadUnaligned(fromByteOffset: h * 32 + part * 16, as: SIMD16<UInt8>.self)
                        let low = floats((raw &>> UInt8(2 * s)) & 3)
                        let maskBits = mask.loadUnaligned(fromByteOffset: part * 16, as: SIMD16<UInt8>.self)
                        let offset = floats((((maskBits &>> bit) & 1) ^ 1) &<< 2)
                        let q = low - offset
                        let element = h * 128 + s * 32 + part * 16
                        store(scales[element / 16] * q, output + element)
                    }
                }
            }
        }
    }

    /// Q4_K (144 bytes): half d, half dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles;
    /// x = (d * sc) * q - (dmin * m) per sub-block of 32.
    static func dequantizeQ4_K(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 144, output = destination + block * 256
            let d = half(pointer, 0), dmin = half(pointer, 2)
            let (sc, mn) = scalesAndMins(pointer + 4)
            let scales = d * sc, mins = dmin * mn
            for chunk in 0..<4 {
                for part in 0..<2 {
                    let (low, high) = nibbles(pointer + 16 + chunk * 32 + part * 16)
                    let even = chunk * 2, odd = chunk * 2 + 1
                    store(scales[even] * low - mins[even], output + even * 32 + part * 16)
                    store(scales[odd] * high - mins[odd], output + odd * 32 + part * 16)
                }
            }
        }
    }

    /// Q5_K (176 bytes): half d, half dmin, 12 bytes of 6-bit scales/mins, 32 bytes of fifth bits,
    /// 128 bytes of nibbles; x = (d * sc) * q - (dmin * m) per sub-block of 32.
    static func dequantizeQ5_K(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 176, output = destination + block * 256
            let d = half(pointer, 0), dmin = half(pointer, 2)
            let (sc, mn) = scalesAndMins(pointer + 4)
            let scales = d * sc, mins = dmin * mn
            let highBits = pointer + 16
            for chunk in 0..<4 {
                for part in 0..<2 {
                    let (low, high) = nibbles(pointer + 48 + chunk * 32 + part * 16)
                    let bits = highBits.loadUnaligned(fromByteOffset: part * 16, as: SIMD16<UInt8>.self)
                    let even = chunk * 2, odd = chunk * 2 + 1
                    let fifthEven = floats(((bits &>> UInt8(even)) & 1) &<< 4)
                    let fifthOdd = floats(((bits &>> UInt8(odd)) & 1) &<< 4)
                    store(scales[even] * (low + fifthEven) - mins[even], output + even * 32 + part * 16)
                    store(scales[odd] * (high + fifthOdd) - mins[odd], output + odd * 32 + part * 16)
                }
            }
        }
    }

    /// Q6_K (210 bytes): 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed scales, half d;
    /// x = (d * sc) * (q - 32) per group of 16.
    static func dequantizeQ6_K(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 210, output = destination + block * 256
            let lows = pointer, highs = pointer + 128, signedScales = pointer + 192
            let d = half(pointer, 208)
            for h in 0..<2 {
                for quarter in 0..<4 {  // r / 32 within the half
                    for part in 0..<2 {
                        let r = quarter * 32 + part * 16
                        let lowRaw = lows.loadUnaligned(fromByteOffset: h * 64 + r % 64, as: SIMD16<UInt8>.self)
                        let low = (lowRaw &>> UInt8(4 * (r / 64))) & 0x0F
                        let highRaw = highs.loadUnaligned(fromByteOffset: h * 32 + part * 16, as: SIMD16<UInt8>.self)
                        let high = (highRaw &>> UInt8(2 * quarter)) & 3
                        let q = floats(low | (high &<< 4)) - 32
                        let element = h * 128 + r
                        let scale = d * Float(signedScales.load(fromByteOffset: element / 16, as: Int8.self))
                        store(scale * q, output + element)
                    }
                }
            }
        }
    }
}
