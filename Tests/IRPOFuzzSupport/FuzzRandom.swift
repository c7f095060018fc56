import IRPOTasks

/// The task's SplitMix64 for the seeded mutation tests: the same seed gives the same cases on every run
/// and platform, and `forCase(_:seed:)` gives each case its own stream so a failing case can be
/// replayed alone.
public struct FuzzRandom: RandomNumberGenerator, Sendable {
    private var source: SplitMix64

    /// A generator whose stream depends only on `seed`.
    public init(seed: UInt64) { source = SplitMix64(seed: seed) }

    /// The generator of case `index` of a run with `seed`.
    public static func forCase(_ index: Int, seed: UInt64) -> FuzzRandom {
        var mixer = FuzzRandom(seed: seed ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        return FuzzRandom(seed: mixer.next())
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 { source.next() }

    /// An integer in 0..<n (0 when n < 1).
    public mutating func below(_ n: Int) -> Int { n < 1 ? 0 : Int(next() % UInt64(n)) }

    /// True once in `n` calls on average.
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    /// A uniformly chosen element of a non-empty array.
    public mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
}
