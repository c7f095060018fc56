import Foundation
import IRPOTensor

/// A forward pass over a `TokenBatch` split by a `ShardPlan` into lanes that run at the same
/// time, one per thread, each lane a few parts of similar-length sequences run one after the
/// other, and what `LlamaModel.backward(_:dSumLogProbs:into:)` needs to backpropagate them all.
///
/// Why lanes: at small shapes (a 3-million-parameter model, 2,048 tokens) one pass with two
/// BLAS threads spends a large part of its time handing work between the threads and on
/// products too small to split well. Two passes over half the batch each, side by side, each
/// with single-threaded kernels, keep both cores on long uninterrupted products (docs/benchmarks.md
/// has the measurements). Why parts: see `ShardPlan`.
///
/// The plan depends only on the sequence lengths and the lane count, never on the number of
/// threads; each lane adds its parts' gradients in plan order and the lanes' gradients are added
/// in lane order, so results are bit-identical run to run, and the same with 1, 2 or 3 threads
/// (see `LlamaModel.defaultTrainingShards`). They differ in the last bits from an unsharded pass
/// (each weight gradient is summed over tokens in several parts).
/// Unchecked Sendable: its results are immutable, `consume()` is locked, and shard workers write disjoint buffers.
public final class ShardedForwardPass: @unchecked Sendable {
    /// Per sequence (in batch order): sum of the scored tokens' log-probabilities.
    public let sumLogProbs: [Float]
    /// Per sequence: number of scored tokens.
    public let tokenCounts: [Int]
    /// Per sequence, per position: the token's log-prob where scored, else 0.
    public let tokenLogProbs: [[Float]]
    /// Whether activations were kept for `backward`.
    public let savesForBackward: Bool
    /// How the batch was split.
    public let plan: ShardPlan

    /// `passes[l][p]`: the pass over part `p` of lane `l`.
    let passes: [[ForwardPass]]
    /// Claimed by the pass's one backward.
    private let backwardClaim = OneShotFlag()

    /// Marks the pass as backpropagated; false when it already was (a second backward).
    func consume() -> Bool { backwardClaim.claim() }

    init(passes: [[ForwardPass]], plan: ShardPlan, savesForBackward: Bool) {
        self.passes = passes
        self.plan = plan
        self.savesForBackward = savesForBackward
        let count = plan.sequenceCount
        var sums = [Float](repeating: 0, count: count)
        var counts = [Int](repeating: 0, count: count)
        var tokens = [[Float]](repeating: [], count: count)
        for (lane, parts) in plan.lanes.enumerated() {
            for (part, indices) in parts.enumerated() {
                let pass = passes[lane][part]
                for (row, index) in indices.enumerated() {
                    sums[index] = pass.sumLogProbs[row]
                    counts[index] = pass.tokenCounts[row]
                    tokens[index] = pass.tokenLogProbs[row]
                }
            }
        }
        sumLogProbs = sums
        tokenCounts = counts
        tokenLogProbs = tokens
    }
}
