import Foundation
import IRPOTensor

/// The result of a forward pass over a `TokenBatch`, and (for training) the activations that
/// `LlamaModel.backward` needs.
///
/// Shapes: B sequences padded on the right to S tokens, T = B * S rows, N scored tokens.
/// Buffers are freed with the pass; a pass can be backpropagated once (the backward
/// overwrites the saved logits with their gradient).
public final class ForwardPass: @unchecked Sendable {
    /// Per sequence: sum of the scored tokens' log-probabilities.
    public let sumLogProbs: [Float]
    /// Per sequence: number of scored tokens.
    public let tokenCounts: [Int]
    /// Per sequence, per position (unpadded length): the token's log-prob where scored, else 0.
    public let tokenLogProbs: [[Float]]
    /// Whether activations were kept for `backward`.
    public let savesForBackward: Bool

    // Shapes.
    let batchSize: Int
    let sequenceLength: Int
    var tokens: Int { batchSize * sequenceLength }
    var scoredCount: Int { scoredRows.count }

    // Inputs, padded: ids [T], positions [T], lengths [B].
    let ids: [Int32]
    let positions: [Int32]
    let lengths: [Int32]
    /// Scored rows: the row (b * S + t - 1) whose output predicts token t, its target, its sequence.
    let scoredRows: [Int32]
    let targets: [Int32]
    let scoredSequence: [Int]

    let storage: ActivationStorage
    let layers: [LayerActivations]
    /// Residual stream after the last layer [T, C].
    let finalResidual: UnsafeMutablePointer<Float>
    /// Final-norm input gathered at scored rows [N, C], its output [N, C] and inverse RMS [N].
    let headInput: UnsafeMutablePointer<Float>
    let headNormed: UnsafeMutablePointer<Float>
    let headInverseRMS: UnsafeMutablePointer<Float>
    /// Logits at scored rows [N, V] (training only); overwritten by backward.
    let logits: UnsafeMutablePointer<Float>?
    /// Log-sum-exp per scored row [N] (training only).
    let logSumExp: UnsafeMutablePointer<Float>
    /// Set once backward has consumed the logits.
    var consumed = false
    /// The adapters the pass ran with, if any.
    let adapters: LoRAAdapters?
    /// The adapter dropout of a training pass, if any (the backward regenerates its masks).
    let dropout: LoRADropout?

    init(
        sumLogProbs: [Float], tokenCounts: [Int], tokenLogProbs: [[Float]], savesForBackward: Bool,
        batchSize: Int, sequenceLength: Int, ids: [Int32], positions: [Int32], lengths: [Int32],
        scoredRows: [Int32], targets: [Int32], scoredSequence: [Int], storage: ActivationStorage,
        layers: [LayerActivations], finalResidual: UnsafeMutablePointer<Float>,
        headInput: UnsafeMutablePointer<Float>, headNormed: UnsafeMutablePointer<Float>,
        headInverseRMS: UnsafeMutablePointer<Float>, logits: UnsafeMutablePointer<Float>?,
        logSumExp: UnsafeMutablePointer<Float>, adapters: LoRAAdapters? = nil, dropout: LoRADropout? = nil
    ) {
        self.adapters = adapters
        self.dropout = dropout
        self.sumLogProbs = sumLogProbs
        self.tokenCounts = tokenCounts
        self.tokenLogProbs = tokenLogProbs
        self.savesForBackward = savesForBackward
        self.batchSize = batchSize
        self.sequenceLength = sequenceLength
        self.ids = ids
        self.positions = positions
        self.lengths = lengths
        self.scoredRows = scoredRows
        self.targets = targets
        self.scoredSequence = scoredSequence
        self.storage = storage
        self.layers = layers
        self.finalResidual = finalResidual
        self.headInput = headInput
        self.headNormed = headNormed
        self.headInverseRMS = headInverseRMS
        self.logits = logits
        self.logSumExp = logSumExp
    }
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
