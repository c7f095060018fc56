import Foundation

/// A forward pass over a `TokenBatch` split into shards of whole, consecutive sequences that run
/// at the same time, one per thread, and what `LlamaModel.backward(_:dSumLogProbs:into:)` needs
/// to backpropagate all of them.
///
/// Why shards: at small shapes (a 3-million-parameter model, 2,048 tokens) one pass with two
/// BLAS threads spends a large part of its time handing work between the threads and on
/// products too small to split well. Two passes over half the batch each, side by side, each
/// with single-threaded kernels, keep both cores on long uninterrupted products (docs/benchmarks.md
/// has the measurements).
///
/// The shard boundaries depend only on the sequence lengths and the shard count, never on the
/// number of threads, and the shards' gradients are added in shard order, so results are
/// bit-identical run to run, and the same with 1, 2 or 3 threads (see
/// `LlamaModel.defaultTrainingShards`). They differ in the last bits from an unsharded pass
/// (each weight gradient is summed over tokens in two parts).
public final class ShardedForwardPass: @unchecked Sendable {
    /// Per sequence (in batch order): sum of the scored tokens' log-probabilities.
    public let sumLogProbs: [Float]
    /// Per sequence: number of scored tokens.
    public let tokenCounts: [Int]
    /// Per sequence, per position: the token's log-prob where scored, else 0.
    public let tokenLogProbs: [[Float]]
    /// Whether activations were kept for `backward`.
    public let savesForBackward: Bool
    /// The sequences of each shard, as index ranges into the batch.
    public let shardRanges: [Range<Int>]

    /// One pass per shard, in shard order.
    let passes: [ForwardPass]
    /// Set once backward has consumed the passes.
    var consumed = false

    init(passes: [ForwardPass], shardRanges: [Range<Int>], savesForBackward: Bool) {
        self.passes = passes
        self.shardRanges = shardRanges
        self.savesForBackward = savesForBackward
        sumLogProbs = passes.flatMap(\.sumLogProbs)
        tokenCounts = passes.flatMap(\.tokenCounts)
        tokenLogProbs = passes.flatMap(\.tokenLogProbs)
    }

    /// Splits `0..<lengths.count` into at most `shards` consecutive, non-empty ranges with
    /// about equal token totals: shard `i` ends at the first sequence where the running total
    /// reaches `(i + 1) / shards` of all tokens, leaving at least one sequence for every later
    /// shard. Depends on nothing but `lengths` and `shards`.
    public static func shardRanges(lengths: [Int], shards: Int) -> [Range<Int>] {
        precondition(shards >= 1, "ShardedForwardPass.shardRanges needs at least one shard")
        let count = lengths.count
        let parts = min(shards, count)
        guard parts > 1 else { return count == 0 ? [] : [0..<count] }
        let total = lengths.reduce(0, +)
        var ranges: [Range<Int>] = []
        var start = 0, running = 0, end = 0
        for part in 0..<(parts - 1) {
            let target = total * (part + 1)
            // Leave at least one sequence for each of the remaining parts.
            let lastEnd = count - (parts - 1 - part)
            end = start
            repeat {
                running += lengths[end]
                end += 1
            } while end < lastEnd && running * parts < target
            ranges.append(start..<end)
            start = end
        }
        ranges.append(start..<count)
        return ranges
    }
}
