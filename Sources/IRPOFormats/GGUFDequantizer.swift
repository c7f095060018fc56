import IRPOTensor

/// Dequantisation of ggml tensor data to `Float`, bit-identical to gguf-py's `gguf.quants.dequantize`.
///
/// Each type converts whole blocks; the arithmetic follows gguf-py's numpy order exactly
/// (e.g. `d * q + m` as a rounded product followed by a rounded sum, never a fused multiply-add).
/// Large tensors are split into a fixed partition of block ranges converted concurrently.
enum GGUFDequantizer {
    typealias BlockKernel = (_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) -> Void

    /// Types that can be dequantised.
    static func supports(_ type: GGMLType) -> Bool { kernel(for: type) != nil }

    static func kernel(for type: GGMLType) -> BlockKernel? {
        switch type {
        case .f32: return { ScalarConversion.floatToFloat($0, count: $1, into: $2) }
        case .f16: return { ScalarConversion.halfToFloat($0, count: $1, into: $2) }
        case .bf16: return { ScalarConversion.bfloat16ToFloat($0, count: $1, into: $2) }
        case .f64: return { ScalarConversion.doubleToFloat($0, count: $1, into: $2) }
        case .q4_0: return dequantizeQ4_0
        case .q4_1: return dequantizeQ4_1
        case .q5_0: return dequantizeQ5_0
        case .q5_1: return dequantizeQ5_1
        case .q8_0: return dequantizeQ8_0
        case .q2_K: return dequantizeQ2_K
        case .q3_K: return dequantizeQ3_K
        case .q4_K: return dequantizeQ4_K
        case .q5_K: return dequantizeQ5_K
        case .q6_K: return dequantizeQ6_K
        default: return nil
        }
    }

    /// Dequantises `elementCount` elements of `type` stored at `source` into `destination`.
    /// Returns false when the type is not supported (nothing is written).
    static func dequantize(_ type: GGMLType, source: UnsafeRawPointer, elementCount: Int, into destination: UnsafeMutablePointer<Float>) -> Bool {
        guard let kernel = kernel(for: type) else { return false }
        let layout = type.blockLayout
        precondition(elementCount % layout.elements == 0, "element count must be whole blocks")
        let blocks = elementCount / layout.elements
        let blocksPerChunk = max(1, 16_384 / layout.elements)
        let chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk
        Parallel.forEachChunk(count: chunks, minimumChunk: 16) { range in
            let first = range.lowerBound * blocksPerChunk
            let end = min(blocks, range.upperBound * blocksPerChunk)
            kernel(source + first * layout.bytes, end - first, destination + first * layout.elements)
        }
        return true
    }

    // MARK: helpers

    @inline(__always)
    static func half(_ pointer: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(pointer.loadUnaligned(fromByteOffset: offset, as: Float16.self))
    }

    /// Unsigned bytes widened to floats (written as a lane loop, which LLVM turns into vector
    /// widening + conversion; the generic SIMD initialisers are not inlined).
    @inline(__always)
    static func floats(_ bytes: SIMD16<UInt8>) -> SIMD16<Float> {
        var result = SIMD16<Float>()
        for lane in 0..<16 { result[lane] = Float(bytes[lane]) }
        return result
    }

    /// Signed bytes widened to floats.
    @inline(__always)
    static func floats(_ bytes: SIMD16<Int8>) -> SIMD16<Float> {
        var result = SIMD16<Float>()
        for lane in 0..<16 { result[lane] = Float(bytes[lane]) }
        return result
    }

    /// Low and high nibbles of 16 bytes as floats in 0...15.
    @inline(__always)
    static func nibbles(_ pointer: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>) {
        let raw = pointer.loadUnaligned(as: SIMD16<UInt8>.self)
        return (floats(raw & 0x0F), floats(raw &>> 4))
    }

    /// Bit `j` (for j in `base ..< base+16`) of `bits`, as 0 or 16, in a float vector of 16.
    @inline(__always)
    static func fifthBits(_ bits: UInt32, base: UInt32) -> SIMD16<Float> {
        var result = SIMD16<Float>()
        for lane in 0..<16 { result[lane] = Float(((bits >> (base + UInt32(lane))) & 1) << 4) }
        return result
    }

    @inline(__always)
    static func store(_ vector: SIMD16<Float>, _ destination: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(destination).storeBytes(of: vector, as: SIMD16<Float>.self)
    }

    // MARK: 32-element block types

    /// Q4_0 (18 bytes): half d, 16 bytes of nibbles; x = d * (q - 8).
    static func dequantizeQ4_0(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 18, output = destination + block * 32
            let d = half(pointer, 0)
            let (low, high) = nibbles(pointer + 2)
            store(d * (low - 8), output)
            store(d * (high - 8), output + 16)
        }
    }

    /// Q4_1 (20 bytes): half d, half m, 16 bytes of nibbles; x = d * q + m.
    static func dequantizeQ4_1(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 20, output = destination + block * 32
            let d = half(pointer, 0), m = half(pointer, 2)
            let (low, high) = nibbles(pointer + 4)
            let scaledLow = d * low, scaledHigh = d * high
            store(scaledLow + m, output)
            store(scaledHigh + m, output + 16)
        }
    }

    /// Q5_0 (22 bytes): half d, u32 of fifth bits, 16 bytes of nibbles; x = d * (q - 16).
    static func dequantizeQ5_0(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 22, output = destination + block * 32
            let d = half(pointer, 0)
            let bits = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let (low, high) = nibbles(pointer + 6)
            store(d * (low + fifthBits(bits, base: 0) - 16), output)
            store(d * (high + fifthBits(bits, base: 16) - 16), output + 16)
        }
    }

    /// Q5_1 (24 bytes): half d, half m, u32 of fifth bits, 16 bytes of nibbles; x = d * q + m.
    static func dequantizeQ5_1(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 24, output = destination + block * 32
            let d = half(pointer, 0), m = half(pointer, 2)
            let bits = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let (low, high) = nibbles(pointer + 8)
            let scaledLow = d * (low + fifthBits(bits, base: 0))
            let scaledHigh = d * (high + fifthBits(bits, base: 16))
            store(scaledLow + m, output)
            store(scaledHigh + m, output + 16)
        }
    }

    /// Q8_0 (34 bytes): half d, 32 signed bytes; x = q * d.
    static func dequantizeQ8_0(_ source: UnsafeRawPointer, _ blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let pointer = source + block * 34, output = destination + block * 32
            let d = half(pointer, 0)
            for part in 0..<2 {
                let raw = pointer.loadUnaligned(fromByteOffset: 2 + 16 * part, as: SIMD16<Int8>.self)
                store(floats(raw) * d, output + 16 * part)
            }
        }
    }
}
