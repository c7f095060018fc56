/// Quantises float rows into ggml's block formats, with the arithmetic of ggml's reference
/// quantisers (`quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`), so the bytes equal those of
/// llama.cpp's `llama-quantize` and of the `gguf` Python package's `gguf.quants.quantize`.
///
/// Every step is done in single precision in the reference's order (no fused multiply-add);
/// block scales are narrowed to IEEE half precision with round-to-nearest-even.
public enum GGUFQuantizer {
    /// The types `quantize` writes.
    public static let supportedTypes: [GGMLType] = [.q8_0, .q4_0]

    /// Whether `type` is one of `supportedTypes`.
    public static func supports(_ type: GGMLType) -> Bool { supportedTypes.contains(type) }

    /// Bytes of `count` values stored as `type`, or nil when `count` is not a whole number of
    /// blocks or the size overflows.
    public static func byteCount(of count: Int, as type: GGMLType) -> Int? {
        let (elements, bytes) = type.blockLayout
        guard count >= 0, count % elements == 0 else { return nil }
        let (total, overflow) = (count / elements).multipliedReportingOverflow(by: bytes)
        return overflow ? nil : total
    }

    /// Quantises `values` (a whole number of 32-value blocks) as `type` into `destination`,
    /// which must hold `byteCount(of: values.count, as: type)` bytes.
    /// - Throws: `QuantizationError` when the type is unsupported, the count is not a multiple
    ///   of the block size, the destination is too small or a value is not finite.
    public static func quantize(_ values: UnsafeBufferPointer<Float>, as type: GGMLType,
                                into destination: UnsafeMutableRawBufferPointer) throws {
        guard supports(type) else {
            throw QuantizationError("cannot quantise to \(type.name); supported: \(supportedTypes.map(\.name).joined(separator: ", "))")
        }
        guard let needed = byteCount(of: values.count, as: type) else {
            throw QuantizationError("\(values.count) values are not a whole number of \(type.blockLayout.elements)-value \(type.name) blocks")
        }
        guard destination.count >= needed else {
            throw QuantizationError("the destination holds \(destination.count) bytes; \(values.count) values as \(type.name) need \(needed)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw QuantizationError("value \(bad) is \(values[bad]), which cannot be quantised; the weights are not finite")
        }
        let blocks = values.count / 32
        let blockBytes = type.blockLayout.bytes
        for block in 0..<blocks {
            let source = UnsafeBufferPointer(rebasing: values[(32 * block)..<(32 * block + 32)])
            let target = UnsafeMutableRawBufferPointer(rebasing: destination[(blockBytes * block)..<(blockBytes * block + blockBytes)])
            if type == .q8_0 { quantizeQ8_0(source, into: target) } else { quantizeQ4_0(source, into: target) }
        }
    }

    /// Q8_0: scale d = max|x| / 127 (stored as F16), q = round(x / d) half away from zero.
    static func quantizeQ8_0(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawBufferPointer) {
        var amax: Float = 0
        for value in x { amax = max(amax, abs(value)) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, at: 0, in: out)
        for (index, value) in x.enumerated() {
            let scaled = value * id
            out[2 + index] = UInt8(bitPattern: Int8(clamped(scaled.rounded(.toNearestOrAwayFromZero), -128, 127)))
        }
    }

    /// Q4_0: the value of largest magnitude (the first one on ties) sets d = max / -8 (stored as
    /// F16); q = min(15, trunc(x / d + 8.5)); byte j holds q[j] in its low and q[j + 16] in its
    /// high nibble.
    static func quantizeQ4_0(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawBufferPointer) {
        var amax: Float = 0
        var maximum: Float = 0
        for value in x where amax < abs(value) {
            amax = abs(value)
            maximum = value
        }
        let d = maximum / -8
        let id: Float = d != 0 ? 1 / d : 0
        storeHalf(d, at: 0, in: out)
        func level(_ value: Float) -> UInt8 {
            let shifted = value * id + 8.5
            return UInt8(clamped(shifted.rounded(.towardZero), 0, 15))
        }
        for j in 0..<16 {
            out[2 + j] = level(x[j]) | (level(x[j + 16]) << 4)
        }
    }

    /// `value` limited to `low...high` as an integer; NaN (only from a scale whose inverse
    /// overflows, as a subnormal scale's does) becomes 0 rather than trapping.
    private static func clamped(_ value: Float, _ low: Int, _ high: Int) -> Int {
        guard !value.isNaN else { return 0 }
        if value <= Float(low) { return low }
        if value >= Float(high) { return high }
        return Int(value)
    }

    private static func storeHalf(_ value: Float, at offset: Int, in out: UnsafeMutableRawBufferPointer) {
        let bits = Float16(value).bitPattern
        out[offset] = UInt8(truncatingIfNeeded: bits)
        out[offset + 1] = UInt8(truncatingIfNeeded: bits >> 8)
    }
}
