/// Token embedding lookup (`output[t] = table[ids[t]]`) and its backward.
public enum Embedding {
    /// Copies row `ids[t]` of `table` into row `t` of `output`.
    /// - Parameters:
    ///   - output: [tokens, channels].
    ///   - ids: [tokens], each in `0..<vocabulary` (checked: a bad id is a programmer error; the
    ///     model validates ids from outside).
    ///   - table: [vocabulary, channels]; pass `vocabulary` to have ids range-checked.
    public static func forward(
        output: UnsafeMutablePointer<Float>, ids: UnsafePointer<Int32>, table: UnsafePointer<Float>,
        tokens: Int, channels: Int, vocabulary: Int = .max
    ) {
        for t in 0..<tokens {
            precondition(ids[t] >= 0 && Int(ids[t]) < vocabulary, "Embedding: token id \(ids[t]) outside 0..<\(vocabulary)")
        }
        Parallel.forEachChunk(count: tokens, minimumChunk: max(1, 4096 / max(1, channels))) { range in
            for t in range {
                (output + t * channels).update(from: table + Int(ids[t]) * channels, count: channels)
            }
        }
    }

    /// `dTable[ids[t]] += dOutput[t]` for every token, in token order (channels are split across
    /// workers, so the result does not depend on the thread count).
    /// - Parameters:
    ///   - dTable: [vocabulary, channels] (accumulated).
    ///   - dOutput: [tokens, channels].
    ///   - ids: [tokens].
    public static func backward(
        dTable: UnsafeMutablePointer<Float>, dOutput: UnsafePointer<Float>, ids: UnsafePointer<Int32>,
        tokens: Int, channels: Int, vocabulary: Int = .max
    ) {
        for t in 0..<tokens {
            precondition(ids[t] >= 0 && Int(ids[t]) < vocabulary, "Embedding: token id \(ids[t]) outside 0..<\(vocabulary)")
        }
        let groups = (channels + 7) / 8
        Parallel.forEachChunk(count: groups, minimumChunk: 8) { groupRange in
            let start = groupRange.lowerBound * 8
            let end = Swift.min(channels, groupRange.upperBound * 8)
            for t in 0..<tokens {
                let destination = dTable + Int(ids[t]) * channels
                let source = dOutput + t * channels
                var c = start
                while c + 8 <= end {
                    VectorMath.store(VectorMath.load(destination + c) + VectorMath.load(source + c), destination + c)
                    c += 8
                }
                while c < end { destination[c] += source[c]; c += 1 }
            }
        }
    }
}
