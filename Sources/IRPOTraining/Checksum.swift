/// FNV-1a (64-bit) checksums used to tie caches and checkpoints to their data. Not
/// cryptographic: they detect changed inputs, not tampering.
public struct Checksum: Sendable, Equatable {
    /// The running value.
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// An empty checksum.
    public init() {}

    /// Mixes one 64-bit word.
    public mutating func add(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
    }

    /// Mixes an integer.
    public mutating func add(_ integer: Int) { add(UInt64(bitPattern: Int64(integer))) }

    /// Mixes token ids, preceded by their count.
    public mutating func add(_ tokens: [Int32]) {
        add(tokens.count)
        for token in tokens { add(UInt64(UInt32(bitPattern: token))) }
    }

    /// Mixes the bit patterns of `count` floats, two per word.
    public mutating func add(_ floats: UnsafePointer<Float>, count: Int) {
        add(count)
        var index = 0
        while index + 1 < count {
            add(UInt64(floats[index].bitPattern) | UInt64(floats[index + 1].bitPattern) << 32)
            index += 2
        }
        if index < count { add(UInt64(floats[index].bitPattern)) }
    }

    /// The value as 16 hex digits.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The checksum of a list of examples (tokens of every prompt, winner and loser).
    public static func of(_ examples: [TrainingExample]) -> Checksum {
        var checksum = Checksum()
        checksum.add(examples.count)
        for example in examples {
            checksum.add(example.prompt)
            checksum.add(example.chosen)
            checksum.add(example.rejected ?? [])
        }
        return checksum
    }
}
