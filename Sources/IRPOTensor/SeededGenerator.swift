import Foundation

/// A reproducible random number generator (xoshiro256**, seeded through splitmix64).
///
/// The whole state is four `UInt64` words: `state` reads and restores it (for checkpoints), and
/// the type is `Codable` as that array.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Errors from restoring a saved state.
    public struct StateError: Error, CustomStringConvertible {
        /// What was wrong.
        public let description: String
    }

    /// A generator whose sequence is fully determined by `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    /// Restores a generator from `state` as returned by the `state` property.
    /// - Throws: `StateError` if `state` does not hold exactly four words or is all zeros.
    public init(state: [UInt64]) throws {
        guard state.count == 4 else {
            throw StateError(description: "random generator state has \(state.count) words, expected 4; re-save the checkpoint or start from a seed")
        }
        guard state.contains(where: { $0 != 0 }) else {
            throw StateError(description: "random generator state is all zeros, which xoshiro256** cannot leave; re-save the checkpoint or start from a seed")
        }
        s0 = state[0]; s1 = state[1]; s2 = state[2]; s3 = state[3]
    }

    /// The four state words; `SeededGenerator(state:)` continues the sequence exactly.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform `Float` in `[0, 1)` with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A normally distributed `Float` (Box-Muller on two uniforms; one draw per call, computed
    /// in Double so it is the same on every platform).
    public mutating func normal(mean: Float = 0, std: Float = 1) -> Float {
        // u1 in (0, 1] so log(u1) is finite.
        let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_992.0)
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        let z = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
        return mean + std * Float(z)
    }

    /// Fills `buffer[0..<count]` with `normal(mean:std:)` draws, in index order.
    public mutating func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int, mean: Float = 0, std: Float = 1) {
        for index in 0..<count { buffer[index] = normal(mean: mean, std: std) }
    }

    /// Fills `buffer[0..<count]` with uniform draws from `[low, high)`, in index order.
    public mutating func fillUniform(_ buffer: UnsafeMutablePointer<Float>, count: Int, low: Float = 0, high: Float = 1) {
        for index in 0..<count { buffer[index] = low + (high - low) * nextUniform() }
    }

    /// Decodes the four state words written by `encode(to:)`.
    /// - Throws: `StateError` for a wrong word count or an all-zero state.
    public init(from decoder: any Decoder) throws {
        let words = try decoder.singleValueContainer().decode([UInt64].self)
        try self.init(state: words)
    }

    /// Encodes the state as an array of four words.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(state)
    }
}
