/// The random stream of one sample: a counter-based generator keyed by `(seed, prompt index,
/// sample index)`.
///
/// Draw `t` is a hash of the key and `t` (splitmix64's finaliser applied twice), so the numbers a
/// sample sees depend on nothing but its key and how many draws it has made: not on batch size,
/// thread count, or which other sequences share the batch.
public struct SampleStream: Sendable, Equatable {
    /// The key derived from `(seed, prompt, sample)`.
    public let key: UInt64
    /// How many draws have been made.
    public private(set) var counter: UInt64

    /// The stream of sample `sample` of prompt `prompt` under `seed`.
    public init(seed: UInt64, prompt: Int, sample: Int) {
        var k = Self.mix(seed ^ 0x5851_F42D_4C95_7F2D)
        k = Self.mix(k &+ UInt64(truncatingIfNeeded: prompt) &* 0x9E37_79B9_7F4A_7C15)
        k = Self.mix(k &+ UInt64(truncatingIfNeeded: sample) &* 0xD1B5_4A32_D192_ED03)
        key = k
        counter = 0
    }

    /// splitmix64's output function: a bijective 64-bit mixer.
    @inlinable
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        counter &+= 1
        return Self.mix(Self.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15) ^ key)
    }

    /// A uniform `Double` in `[0, 1)` with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }
}
