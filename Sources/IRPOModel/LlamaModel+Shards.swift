import Foundation
import IRPOTensor

extension LlamaModel {
    /// Shards a training batch is split into by default (see `ShardedForwardPass`). A constant,
    /// not the thread count, so a run gives the same numbers with 1, 2 or 3 threads (each shard
    /// then uses single-threaded BLAS); from 4 threads each shard's BLAS uses `threads / 2`
    /// threads, and OpenBLAS's rounding can depend on its thread count.
    public static let defaultTrainingShards = 2

    /// Runs `forward(_:savingForBackward:)` over `batch` split by `ShardPlan.make(lengths:lanes:
    /// shards)`: the lanes run at once, each on its own thread with `Parallel.threadCount /
    /// lanes` threads for its kernels and BLAS, and each runs its parts (sequences of similar
    /// length, padded together) one after the other. With one thread the lanes run one after
    /// the other, with the same results.
    ///
    /// While the lanes run, the process-wide BLAS thread count (`GEMM.threadCount`) is lowered
    /// to each lane's share and restored afterwards; do not run other BLAS work meanwhile.
    ///
    /// `recomputingLayers` and `adapters` as in `forward(_:savingForBackward:recomputingLayers:adapters:)`.
    /// - Throws: `ModelError.invalidInput` as `forward(_:savingForBackward:adapters:)`.
    public func forward(_ batch: TokenBatch, savingForBackward: Bool = true, recomputingLayers: Bool = false,
                        shards: Int, adapters: LoRAAdapters? = nil) throws -> ShardedForwardPass {
        precondition(shards >= 1, "LlamaModel.forward needs at least one shard")
        try batch.validate(vocabularySize: configuration.vocabularySize)
        try checkLength(batch.maxLength)
        try checkAdapters(adapters)
        let plan = ShardPlan.make(lengths: batch.sequences.map(\.count), lanes: shards)
        let results = runShards(plan.lanes.count) { lane in
            plan.lanes[lane].map { indices in
                let part = TokenBatch(sequences: indices.map { batch.sequences[$0] }, scoreMasks: indices.map { batch.scoreMasks[$0] })
                return self.forwardValidated(part, savingForBackward: savingForBackward,
                                             recomputingLayers: recomputingLayers, adapters: adapters)
            }
        }
        return ShardedForwardPass(passes: results, plan: plan, savesForBackward: savingForBackward)
    }

    /// Backpropagates a sharded pass: each lane's backward runs on its own thread (as in the
    /// forward) and adds its parts in plan order; lane 0 adds into `gradients`, every other lane
    /// into a scratch buffer kept by the model, and those are then added into `gradients` in
    /// lane order.
    ///
    /// `pass` must come from `forward(_:savingForBackward: true, shards:)` on this model with
    /// unchanged parameters, and can be backpropagated once.
    public func backward(_ pass: ShardedForwardPass, dSumLogProbs: [Float], into gradients: ParameterBuffer) {
        precondition(pass.savesForBackward, "backward needs a pass from forward(_:savingForBackward: true, shards:)")
        precondition(dSumLogProbs.count == pass.sumLogProbs.count, "backward needs one dSumLogProbs entry per sequence")
        precondition(gradients.layout == layout, "backward needs gradients with the model's layout")
        let first = pass.consume()
        precondition(first, "a ShardedForwardPass can be backpropagated only once")
        let scratch = shardGradients(pass.passes.count - 1)
        let targets = [gradients] + scratch
        runShards(pass.passes.count) { lane in
            if lane > 0 { targets[lane].zero() }
            for (part, indices) in pass.plan.lanes[lane].enumerated() {
                self.backward(pass.passes[lane][part], dSumLogProbs: indices.map { dSumLogProbs[$0] }, into: targets[lane])
            }
        }
        for buffer in scratch {
            Elementwise.accumulate(into: gradients.base, from: buffer.base, count: gradients.count)
        }
    }

    /// Backpropagates a sharded pass that ran with adapters through the frozen base, as
    /// `backward(_:dSumLogProbs:into:)` does for full training: each lane adds its parts in plan
    /// order, lane 0 into `adapterGradients`, every other lane into its own buffer, added in lane
    /// order.
    public func backward(_ pass: ShardedForwardPass, dSumLogProbs: [Float], adapterGradients: LoRABuffer) {
        precondition(pass.savesForBackward, "backward needs a pass from forward(_:savingForBackward: true, shards:adapters:)")
        precondition(dSumLogProbs.count == pass.sumLogProbs.count, "backward needs one dSumLogProbs entry per sequence")
        let first = pass.consume()
        precondition(first, "a ShardedForwardPass can be backpropagated only once")
        let targets = [adapterGradients] + (1..<max(1, pass.passes.count)).map { _ in LoRABuffer(layout: adapterGradients.layout) }
        runShards(pass.passes.count) { lane in
            for (part, indices) in pass.plan.lanes[lane].enumerated() {
                self.backward(pass.passes[lane][part], dSumLogProbs: indices.map { dSumLogProbs[$0] }, adapterGradients: targets[lane])
            }
        }
        for buffer in targets.dropFirst() {
            Elementwise.accumulate(into: adapterGradients.base, from: buffer.base, count: adapterGradients.count)
        }
    }

    /// Calls `body(shard)` for every shard and returns the results in shard order. The shards
    /// go to `Parallel.forEach`'s workers (one after the other on one thread), each worker with
    /// its share of the threads for its own kernels and BLAS.
    @discardableResult
    private func runShards<Value>(_ count: Int, _ body: (Int) -> Value) -> [Value] {
        let threads = Parallel.threadCount
        let workers = min(count, threads)
        guard workers > 1 else { return (0..<count).map(body) }
        let perShard = max(1, threads / workers)
        var results = [Value?](repeating: nil, count: count)
        GEMM.withThreadCount(perShard) {
            results.withUnsafeMutableBufferPointer { slots in
                // Each shard writes only its own slot.
                Parallel.forEach(count: count) { shard in
                    slots[shard] = Parallel.withThreadCount(perShard) { body(shard) }
                }
            }
        }
        return results.map { $0! }
    }

    /// `count` gradient buffers with the model's layout, kept between calls (freed by
    /// `releaseWorkspace`); their contents are left from the last use, so callers zero them.
    func shardGradients(_ count: Int) -> [ParameterBuffer] {
        shardGradientLock.withLock {
            while shardGradientCache.count < count { shardGradientCache.append(ParameterBuffer(layout: layout)) }
            return Array(shardGradientCache.prefix(count))
        }
    }
}
