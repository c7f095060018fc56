/// One weight of `DecodeWeights`, packed into panels for `InvariantMatmul`.
/// Unchecked Sendable: it points into a `DecodeWeights` snapshot, which is only read after init.
struct PackedWeight: @unchecked Sendable {
    /// The first panel's bytes.
    let base: UnsafeRawPointer
    /// `.f32` panels (floats) or `.q8_0` panels (`InvariantMatmul.q8PanelBlockBytes` per 32 inner).
    let format: DecodeWeightFormat

    /// Bytes of the packed form of a `[outputs, inner]` weight in `format`.
    static func byteCount(outputs: Int, inner: Int, format: DecodeWeightFormat) -> Int {
        switch format {
        case .f32: return InvariantMatmul.packedCount(outputs: outputs, inner: inner) * MemoryLayout<Float>.stride
        case .q8_0: return InvariantMatmul.panelCount(outputs: outputs) * (inner / 32) * InvariantMatmul.q8PanelBlockBytes
        }
    }

    /// The format a `[_, inner]` weight gets when `requested` is asked for: Q8_0 needs whole
    /// 32-weight blocks.
    static func format(inner: Int, requested: DecodeWeightFormat) -> DecodeWeightFormat {
        requested == .q8_0 && inner % 32 == 0 && inner > 0 ? .q8_0 : .f32
    }
}
