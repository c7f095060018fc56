import Foundation
import IRPOTensor

/// The result of a forward pass over a `TokenBatch`, and (for training) the activations that
/// `LlamaModel.backward` needs.
///
/// Shapes: B sequences padded on the right to S tokens, T = B * S rows, N scored tokens.
/// Buffers are freed with the pass; a pass can be backpropagated once (the backward
/// overwrites the saved logits with their gradient).
/// Unchecked Sendable: its results are immutable; its buffers are used by one backward call, whose workers write disjoint rows.
public final class ForwardPass: @unchecked Sendable {
    /// Per sequence: sum of the scored tokens' log-probabilities.
    public let sumLogProbs: [Float]
    /// Per sequence: number of scored tokens.
    public let tokenCounts: [Int]
    /// Per sequence, per position (unpadded length): the token's log-prob where scored, else 0.
    public let tokenLogProbs: [[Float]]
    /// Whether activations were kept for `backward`.
    public let savesForBackward: Bool

    /// The packed inputs: ids, positions and lengths of the `T = B * S` rows, and the scored rows.
    let batch: PackedBatch
    let storage: ActivationStorage
    /// Every layer's activations, or none when the pass recomputes them (`layerInputs`).
    let layers: [LayerActivations]
    /// With gradient checkpointing: each layer's input [T, C], from which the backward recomputes
    /// the layer's activations; empty otherwise.
    let layerInputs: [UnsafeMutablePointer<Float>]
    /// Whether the backward recomputes each layer's activations from `layerInputs`.
    var recomputesLayers: Bool { !layerInputs.isEmpty }
    /// The final norm and LM head's activations.
    let head: HeadActivations
    /// Claimed by the pass's one backward.
    private let backwardClaim = OneShotFlag()

    /// Marks the pass as backpropagated; false when it already was (a second backward).
    func consume() -> Bool { backwardClaim.claim() }
    /// The adapters the pass ran with, if any.
    let adapters: LoRAAdapters?
    /// The adapter dropout of a training pass, if any (the backward regenerates its masks).
    let dropout: LoRADropout?

    // Shapes and inputs, as the backward reads them.
    var batchSize: Int { batch.batchSize }
    var sequenceLength: Int { batch.sequenceLength }
    var tokens: Int { batch.tokens }
    var scoredCount: Int { batch.scoredRows.count }
    var ids: [Int32] { batch.ids }
    var positions: [Int32] { batch.positions }
    var lengths: [Int32] { batch.lengths }
    var scoredRows: [Int32] { batch.scoredRows }
    var targets: [Int32] { batch.targets }
    var scoredSequence: [Int] { batch.scoredSequence }
    var finalResidual: UnsafeMutablePointer<Float> { head.finalResidual }
    var headInput: UnsafeMutablePointer<Float> { head.input }
    var headNormed: UnsafeMutablePointer<Float> { head.normed }
    var headInverseRMS: UnsafeMutablePointer<Float> { head.inverseRMS }
    var logits: UnsafeMutablePointer<Float>? { head.logits }
    var logSumExp: UnsafeMutablePointer<Float> { head.logSumExp }

    init(sumLogProbs: [Float], tokenCounts: [Int], tokenLogProbs: [[Float]], savesForBackward: Bool,
         batch: PackedBatch, storage: ActivationStorage, layers: [LayerActivations],
         layerInputs: [UnsafeMutablePointer<Float>] = [], head: HeadActivations,
         adapters: LoRAAdapters? = nil, dropout: LoRADropout? = nil) {
        self.sumLogProbs = sumLogProbs
        self.tokenCounts = tokenCounts
        self.tokenLogProbs = tokenLogProbs
        self.savesForBackward = savesForBackward
        self.batch = batch
        self.storage = storage
        self.layers = layers
        self.layerInputs = layerInputs
        self.head = head
        self.adapters = adapters
        self.dropout = dropout
    }
}

/// What the final norm and the LM head keep for backward (N scored rows).
struct HeadActivations {
    /// Residual stream after the last layer [T, C].
    let finalResidual: UnsafeMutablePointer<Float>
    /// Final-norm input gathered at the scored rows [N, C], its output [N, C] and inverse RMS [N].
    let input: UnsafeMutablePointer<Float>
    let normed: UnsafeMutablePointer<Float>
    let inverseRMS: UnsafeMutablePointer<Float>
    /// Logits at the scored rows [N, V] (training only); overwritten by backward.
    let logits: UnsafeMutablePointer<Float>?
    /// Log-sum-exp per scored row [N].
    let logSumExp: UnsafeMutablePointer<Float>
}

/// What one decoder layer's forward keeps for backward (T = B * S rows).
struct LayerActivations {
    /// Residual stream entering the layer [T, C].
    var input: UnsafeMutablePointer<Float>
    /// Attention RMSNorm output [T, C] and inverse RMS [T].
    var norm1: UnsafeMutablePointer<Float>
    var inverseRMS1: UnsafeMutablePointer<Float>
    /// Rotated queries [T, H*D], rotated keys [T, Hkv*D], values [T, Hkv*D].
    var q: UnsafeMutablePointer<Float>
    var k: UnsafeMutablePointer<Float>
    var v: UnsafeMutablePointer<Float>
    /// Attention output before o-projection [T, H*D] and probabilities [B, H, S, S].
    var attention: UnsafeMutablePointer<Float>
    var probabilities: UnsafeMutablePointer<Float>
    /// Residual stream after attention [T, C].
    var middle: UnsafeMutablePointer<Float>
    /// MLP RMSNorm output [T, C] and inverse RMS [T].
    var norm2: UnsafeMutablePointer<Float>
    var inverseRMS2: UnsafeMutablePointer<Float>
    /// Gate and up projections side by side [T, 2I] (gate in the first I columns of a row).
    var gateUp: UnsafeMutablePointer<Float>
    /// With adapters: each adapted group's `A x`, group after group ([T, stacked rank] each).
    var loraHidden: UnsafeMutablePointer<Float>?
}

/// Owns a set of float allocations and hands them back to its pool (or frees them) together.
/// Unchecked Sendable: owned by one pass and used by one thread at a time; the shared pool it returns blocks to is locked.
final class ActivationStorage: @unchecked Sendable {
    private var blocks: [(pointer: UnsafeMutablePointer<Float>, count: Int)] = []
    private let pool: BufferPool?
    /// Total floats allocated.
    private(set) var floatCount = 0

    /// Storage that reuses (and returns) blocks of `pool`, if given.
    init(pool: BufferPool? = nil) { self.pool = pool }

    /// A buffer of `count` floats (at least one) with unspecified contents.
    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = pool == nil ? max(1, count) : BufferPool.sizeClass(count)
        let pointer = pool?.take(size) ?? {
            let fresh = UnsafeMutablePointer<Float>.allocate(capacity: size)
            fresh.initialize(repeating: 0, count: size)
            return fresh
        }()
        blocks.append((pointer, size))
        floatCount += size
        return pointer
    }

    /// A zero-filled buffer of `count` floats.
    func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
        let pointer = allocate(count)
        Elementwise.zero(pointer, count: max(1, count))
        return pointer
    }

    deinit {
        if let pool {
            pool.give(blocks, storageFloats: floatCount)
        } else {
            for block in blocks { block.pointer.deallocate() }
        }
    }
}

/// Freed activation buffers kept for the next pass, so a training loop does not page-fault fresh
/// memory every step. Thread-safe.
///
/// Blocks are pooled by size class (sizes rounded up to 8 classes per power of two, at most 12.5%
/// larger than asked), so passes whose shapes differ a little (micro-batches padded to different
/// lengths) reuse each other's blocks. The pool keeps at most twice the largest single storage it
/// has seen and frees what would exceed that, so a run over many shapes stays bounded.
/// Unchecked Sendable: its free lists and counters are read and written only while holding `lock`.
final class BufferPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    /// Floats currently pooled.
    private(set) var pooledFloats = 0
    /// Most floats the pool keeps: twice the largest storage given back so far.
    private(set) var limitFloats = 0

    /// `count` (at least 1) rounded up to its size class: a multiple of 2^(⌈log2 count⌉ - 4).
    static func sizeClass(_ count: Int) -> Int {
        let size = max(1, count)
        guard size > 16 else { return size }
        let shift = (Int.bitWidth - (size - 1).leadingZeroBitCount) - 4
        let step = 1 << shift
        return (size + step - 1) / step * step
    }

    /// A free block of exactly `count` floats (a size class), if one is pooled.
    func take(_ count: Int) -> UnsafeMutablePointer<Float>? {
        lock.withLock {
            guard let block = free[count]?.popLast() else { return nil }
            pooledFloats -= count
            return block
        }
    }

    /// Returns the blocks of a storage that held `storageFloats` floats; frees those that would
    /// take the pool past its limit.
    func give(_ blocks: [(pointer: UnsafeMutablePointer<Float>, count: Int)], storageFloats: Int) {
        let dropped = lock.withLock { () -> [UnsafeMutablePointer<Float>] in
            limitFloats = max(limitFloats, 2 * storageFloats)
            var dropped: [UnsafeMutablePointer<Float>] = []
            for block in blocks {
                if pooledFloats + block.count <= limitFloats {
                    free[block.count, default: []].append(block.pointer)
                    pooledFloats += block.count
                } else {
                    dropped.append(block.pointer)
                }
            }
            return dropped
        }
        for pointer in dropped { pointer.deallocate() }
    }

    /// Frees every pooled block.
    func drain() {
        let blocks = lock.withLock { () -> [UnsafeMutablePointer<Float>] in
            defer { free = [:]; pooledFloats = 0 }
            return free.values.flatMap { $0 }
        }
        for block in blocks { block.deallocate() }
    }

    deinit { drain() }
}
