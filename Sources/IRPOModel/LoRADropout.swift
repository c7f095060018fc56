/// Dropout on the adapters' input during a training forward (PEFT's `lora_dropout`): the
/// adapter path sees `x * mask / (1 - p)` with each element kept with probability `1 - p`,
/// while the base product sees `x`.
///
/// Masks are not stored: each element's draw is a hash of (`key`, layer, group, row, column),
/// so the backward regenerates the same mask, and a pass's masks depend only on its key (the
/// adapters' stream and the part's token ids), never on timing or threads. One mask is drawn per
/// group input and shared by the group's adapters (q/k/v, gate/up), which keeps their `A`
/// matrices in one product; PEFT draws one per module.
struct LoRADropout: Sendable {
    /// The drop probability p, in (0, 1).
    let probability: Float
    /// The pass's key.
    let key: UInt64

    /// The scale of kept elements, 1 / (1 - p).
    var scale: Float { 1 / (1 - probability) }

    /// A SplitMix64 finaliser.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A key for a part from the adapters' stream and the part's token ids.
    static func key(stream: UInt64, ids: [Int32]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ stream
        for id in ids { hash = (hash ^ UInt64(UInt32(bitPattern: id))) &* 0x0000_0100_0000_01B3 }
        return mix(hash)
    }

    /// `output[i, j] = input[i, j] * mask[i, j] * scale` for the `rows x columns` input of
    /// `group` in `layer`.
    func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
               layer: Int, group: LoRAGroup) {
        let threshold = UInt64(Double(probability) * Double(1 << 24))
        let s = scale
        let base = Self.mix(key ^ (UInt64(layer) << 8 | UInt64(group.rawValue)))
        for row in 0..<rows {
            let rowKey = Self.mix(base &+ UInt64(row))
            for column in 0..<columns {
                let draw = Self.mix(rowKey ^ UInt64(column)) >> 40   // 24 random bits
                output[row * columns + column] = draw < threshold ? 0 : input[row * columns + column] * s
            }
        }
    }
}
