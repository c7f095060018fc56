/// A small, fully specified random generator (SplitMix64, Steele et al. 2014) so that the
/// synthetic task is identical on every platform and Swift version. `uniform(in:)` uses
/// rejection sampling rather than the standard library's unspecified algorithm.
public struct SplitMix64: Sendable {
    private var state: UInt64

    /// A generator whose stream depends only on `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `range`.
    public mutating func uniform(in range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) &+ 1
        if width == 0 { return Int(truncatingIfNeeded: next()) }
        let limit = UInt64.max - UInt64.max % width
        var value = next()
        while value >= limit { value = next() }
        return range.lowerBound + Int(value % width)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// An element of a non-empty array, uniformly.
    mutating func pick<T>(_ values: [T]) -> T {
        values[uniform(in: 0...(values.count - 1))]
    }

    /// FNV-1a 64-bit hash of `text` (stable across runs, unlike `Hasher`).
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
