import Foundation
import IRPOTensor

extension LlamaModel {
    /// Shards a training batch is split into by default (see `ShardedForwardPass`). A constant,
    /// not the thread count, so a run gives the same numbers with 1, 2 or 3 threads (each shard
    /// then uses single-threaded BLAS); from 4 threads each shard's BLAS uses `threads / 2`
    /// threads, and OpenBLAS's rounding can depend on its thread count.
    public static let defaultTrainingShards = 2

    /// Runs `forward(_:savingForBackward:)` over `shards` consecutive parts of `batch` at once
    /// (see `ShardedForwardPass.shardRanges`), each on its own thread with `Parallel.threadCount
    /// / shards` threads for its kernels and BLAS. With one thread the shards run one after the
    /// other, with the same results.
    ///
    /// While the shards run, the process-wide BLAS thread count (`GEMM.threadCount`) is lowered
    /// to each shard's share and restored afterwards; do not run other BLAS work meanwhile.
    ///
    /// `adapters` as in `forward(_:savingForBackward:adapters:)`.
    /// - Throws: `ModelError.invalidInput` as `forward(_:savingForBackward:adapters:)`.
    public func forward(_ batch: TokenBatch, savingForBackward: Bool = true, shards: Int,
                        adapters: LoRAAdapters? = nil) throws -> ShardedForwardPass {
        precondition(shards >= 1, "LlamaModel.forward needs at least one shard")
        try batch.validate(vocabularySize: configuration.vocabularySize)
        try checkLength(batch.maxLength)
        try checkAdapters(adapters)
        let ranges = ShardedForwardPass.shardRanges(lengths: batch.sequences.map(\.count), shards: shards)
        let parts = ranges.map { range in
            TokenBatch(sequences: Array(batch.sequences[range]), scoreMasks: Array(batch.scoreMasks[range]))
        }
        let results = runShards(ranges.count) { shard in
            self.forwardValidated(parts[shard], savingForBackward: savingForBackward, adapters: adapters)
        }
        return ShardedForwardPass(passes: results, shardRanges: ranges, savesForBackward: savingForBackward)
    }

    /// Backpropagates a sharded pass: each shard's backward runs on its own thread (as in the
    /// forward); shard 0 adds into `gradients`, every other shard into a scratch buffer kept by
    /// the model, and those are then added into `gradients` in shard order.
    ///
    /// `pass` must come from `forward(_:savingForBackward: true, shards:)` on this model with
    /// unchanged parameters, and can be backpropagated once.
    public func backward(_ pass: ShardedForwardPass, dSumLogProbs: [Float], into gradients: ParameterBuffer) {
        precondition(pass.savesForBackward, "backward needs a pass from forward(_:savingForBackward: true, shards:)")
        precondition(!pass.consumed, "a ShardedForwardPass can be backpropagated only once")
        precondition(dSumLogProbs.count == pass.sumLogProbs.count, "backward needs one dSumLogProbs entry per sequence")
        precondition(gradients.layout == layout, "backward needs gradients with the model's layout")
        pass.consumed = true
        let scratch = shardGradients(pass.passes.count - 1)
        let targets = [gradients] + scratch
        runShards(pass.passes.count) { shard in
            if shard > 0 { targets[shard].zero() }
            let range = pass.shardRanges[shard]
            self.backward(pass.passes[shard], dSumLogProbs: Array(dSumLogProbs[range]), into: targets[shard])
        }
        for buffer in scratch {
            Elementwise.accumulate(into: gradients.base, from: buffer.base, count: gradients.count)
        }
    }

    /// Backpropagates a sharded pass that ran with adapters through the frozen base, as
    /// `backward(_:dSumLogProbs:into:)` does for full training: shard 0 adds into
    /// `adapterGradients`, every other shard into its own buffer, added in shard order.
    public func backward(_ pass: ShardedForwardPass, dSumLogProbs: [Float], adapterGradients: LoRABuffer) {
        precondition(pass.savesForBackward, "backward needs a pass from forward(_:savingForBackward: true, shards:adapters:)")
        precondition(!pass.consumed, "a ShardedForwardPass can be backpropagated only once")
        precondition(dSumLogProbs.count == pass.sumLogProbs.count, "backward needs one dSumLogProbs entry per sequence")
        pass.consumed = true
        let targets = [adapterGradients] + (1..<max(1, pass.passes.count)).map { _ in LoRABuffer(layout: adapterGradients.layout) }
        runShards(pass.passes.count) { shard in
            let range = pass.shardRanges[shard]
            self.backward(pass.passes[shard], dSumLogProbs: Array(dSumLogProbs[range]), adapterGradients: targets[shard])
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
        let savedBLASThreads = GEMM.threadCount
        GEMM.threadCount = perShard
        defer { GEMM.threadCount = savedBLASThreads }
        var results = [Value?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { slots in
            // Each shard writes only its own slot.
            Parallel.forEach(count: count) { shard in
                slots[shard] = Parallel.withThreadCount(perShard) { body(shard) }
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
