import Dispatch
import Foundation

/// Causal grouped-query scaled-dot-product attention over right-padded batches.
///
/// Head `h` attends with kv head `h / (heads / kvHeads)`. Scores are `q·k / sqrt(headDim)`;
/// query `s` of sequence `b` sees keys `0...s`, and only when `s < lengths[b]` (positions at or
/// past the length are padding: their output rows and probability rows are zeros, never NaN).
/// All products go through `GEMM` with leading dimensions straight on the `[B, S, H, D]` buffers
/// (no copies), in causal row blocks so work above the diagonal is mostly skipped.
public enum Attention {
    /// Query rows per block: each block multiplies only against the keys up to its last row.
    @usableFromInline static let blockRows = 64

    /// Computes the attention output and saves the probabilities for backward.
    /// - Parameters:
    ///   - output: [batch, sequenceLength, heads, headDim].
    ///   - probabilities: [batch, heads, sequenceLength, sequenceLength], saved for backward;
    ///     zero above the diagonal and at padded rows and columns.
    ///   - q: [batch, sequenceLength, heads, headDim] (after rotary embedding).
    ///   - k: [batch, sequenceLength, kvHeads, headDim] (after rotary embedding).
    ///   - v: [batch, sequenceLength, kvHeads, headDim].
    ///   - lengths: [batch], valid tokens per sequence (`0...sequenceLength`), right padding.
    public static func forward(
        output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        lengths: UnsafePointer<Int32>,
        batch: Int, sequenceLength: Int, heads: Int, kvHeads: Int, headDim: Int
    ) {
        let shape = Shape(batch: batch, sequenceLength: sequenceLength, heads: heads, kvHeads: kvHeads, headDim: headDim, lengths: lengths)
        forEachHead(shape, workers: Parallel.threadCount) { b, h, _ in
            let pBase = probabilities + (b * heads + h) * sequenceLength * sequenceLength
            forwardHead(shape, b: b, h: h, output: output, probabilities: pBase,
                        q: q, k: k, v: v)
        }
    }

    /// `forward` for inference: the same output, bit for bit, without saving the probabilities
    /// (each worker reuses one `[sequenceLength, sequenceLength]` scratch matrix), so memory
    /// does not grow with batch x heads.
    /// - Parameters: as `forward`, without `probabilities`.
    public static func forwardInference(
        output: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        lengths: UnsafePointer<Int32>,
        batch: Int, sequenceLength: Int, heads: Int, kvHeads: Int, headDim: Int
    ) {
        let shape = Shape(batch: batch, sequenceLength: sequenceLength, heads: heads, kvHeads: kvHeads, headDim: headDim, lengths: lengths)
        let s = sequenceLength
        let workers = max(1, Parallel.threadCount)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, s * s * workers))
        defer { scratch.deallocate() }
        forEachHead(shape, workers: workers) { b, h, worker in
            forwardHead(shape, b: b, h: h, output: output, probabilities: scratch + worker * s * s,
                        q: q, k: k, v: v)
        }
    }

    /// Accumulates the gradients of `forward` into `dQ`, `dK`, `dV`.
    /// - Parameters:
    ///   - dQ: [batch, sequenceLength, heads, headDim] (accumulated).
    ///   - dK: [batch, sequenceLength, kvHeads, headDim] (accumulated).
    ///   - dV: [batch, sequenceLength, kvHeads, headDim] (accumulated).
    ///   - dOutput: [batch, sequenceLength, heads, headDim].
    ///   - q, k, v: as given to forward.
    ///   - probabilities: [batch, heads, sequenceLength, sequenceLength], saved by forward.
    ///   - lengths: [batch], as given to forward.
    public static func backward(
        dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probabilities: UnsafePointer<Float>, lengths: UnsafePointer<Int32>,
        batch: Int, sequenceLength: Int, heads: Int, kvHeads: Int, headDim: Int
    ) {
        let shape = Shape(batch: batch, sequenceLength: sequenceLength, heads: heads, kvHeads: kvHeads, headDim: headDim, lengths: lengths)
        let s = sequenceLength
        let workers = max(1, Parallel.threadCount)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, s * s * workers))
        defer { scratch.deallocate() }
        forEachHead(shape, workers: workers) { b, h, worker in
            backwardHead(shape, b: b, h: h, scratch: scratch + worker * s * s,
                         dQ: dQ, dK: dK, dV: dV, dOutput: dOutput,
                         q: q, k: k, v: v, probabilities: probabilities)
        }
    }

    /// Sizes shared by the per-head helpers.
    /// Unchecked Sendable: sizes and a pointer to sequence lengths that no kernel writes.
    struct Shape: @unchecked Sendable {
        let batch: Int, sequenceLength: Int, heads: Int, kvHeads: Int, headDim: Int
        let lengths: UnsafePointer<Int32>
        var group: Int { heads / kvHeads }
        var scale: Float { 1 / Float(headDim).squareRoot() }
        /// Stride between query/output rows.
        var qRow: Int { heads * headDim }
        /// Stride between key/value rows.
        var kvRow: Int { kvHeads * headDim }

        init(batch: Int, sequenceLength: Int, heads: Int, kvHeads: Int, headDim: Int, lengths: UnsafePointer<Int32>) {
            precondition(batch >= 0 && sequenceLength >= 0 && headDim >= 1, "Attention: bad sizes")
            precondition(kvHeads >= 1 && heads >= kvHeads && heads % kvHeads == 0,
                         "Attention: heads \(heads) must be a positive multiple of kvHeads \(kvHeads)")
            for b in 0..<batch {
                precondition(lengths[b] >= 0 && Int(lengths[b]) <= sequenceLength,
                             "Attention: lengths[\(b)] = \(lengths[b]) outside 0...\(sequenceLength)")
            }
            self.batch = batch; self.sequenceLength = sequenceLength; self.heads = heads
            self.kvHeads = kvHeads; self.headDim = headDim; self.lengths = lengths
        }
    }

    /// Runs `body(b, h, worker)` for every sequence and head.
    ///
    /// Work is split over (sequence, kv head) groups, so heads that share a kv head (and write
    /// the same rows of dK and dV) run one after another in head order on one worker. With at
    /// least as many groups as `Parallel.threadCount` workers, groups run concurrently with
    /// single-threaded BLAS; otherwise they run in order with BLAS using its own threads.
    /// `worker` (below `workers`) identifies the caller's scratch space.
    static func forEachHead(_ shape: Shape, workers: Int, _ body: (Int, Int, Int) -> Void) {
        let groups = shape.batch * shape.kvHeads
        // Inside a shard (`Parallel.withThreadCount`) other threads share the process-wide BLAS
        // setting, so it is not lowered here: with more than one BLAS thread per shard the heads
        // run one after the other and each product uses those threads.
        let insideShard = Parallel.hasThreadCountOverride
        if workers <= 1 || groups < workers || (insideShard && GEMM.threadCount > 1) {
            for b in 0..<shape.batch {
                for h in 0..<shape.heads { body(b, h, 0) }
            }
            return
        }
        let ranges = Parallel.chunks(count: groups, minimumChunk: 1, threads: workers)
        // Inside a shard BLAS already runs on one thread (checked above).
        if insideShard {
            runGroups(ranges, shape, body)
        } else {
            GEMM.withThreadCount(1) { runGroups(ranges, shape, body) }
        }
    }

    /// Runs the (sequence, kv head) groups of `ranges[worker]` on worker `worker`, concurrently.
    private static func runGroups(_ ranges: [Range<Int>], _ shape: Shape, _ body: (Int, Int, Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedBox(escapable)
            DispatchQueue.concurrentPerform(iterations: ranges.count) { worker in
                for group in ranges[worker] {
                    let b = group / shape.kvHeads, kvHead = group % shape.kvHeads
                    for h in (kvHead * shape.group)..<((kvHead + 1) * shape.group) { box.value(b, h, worker) }
                }
            }
        }
    }

    /// One head of one sequence; `probabilities` is this head's [s, s] matrix.
    static func forwardHead(
        _ shape: Shape, b: Int, h: Int,
        output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
    ) {
        let s = shape.sequenceLength, d = shape.headDim
        let length = Int(shape.lengths[b])
        let kvHead = h / shape.group
        let qBase = q + (b * s * shape.heads + h) * d
        let kBase = k + (b * s * shape.kvHeads + kvHead) * d
        let vBase = v + (b * s * shape.kvHeads + kvHead) * d
        let oBase = output + (b * s * shape.heads + h) * d
        let pBase = probabilities
        var r0 = 0
        while r0 < length {
            let r1 = min(length, r0 + blockRows)
            // scores[r0..<r1, 0..<r1] = scale * Q K^T
            GEMM.multiply(transposeA: false, transposeB: true, m: r1 - r0, n: r1, k: d, alpha: shape.scale,
                          a: qBase + r0 * shape.qRow, lda: shape.qRow, b: kBase, ldb: shape.kvRow,
                          beta: 0, c: pBase + r0 * s, ldc: s)
            for row in r0..<r1 { softmaxCausalRow(pBase + row * s, valid: row + 1, total: s) }
            // out[r0..<r1] = P[r0..<r1, 0..<r1] V[0..<r1]
            GEMM.multiply(transposeA: false, transposeB: false, m: r1 - r0, n: d, k: r1,
                          a: pBase + r0 * s, lda: s, b: vBase, ldb: shape.kvRow,
                          beta: 0, c: oBase + r0 * shape.qRow, ldc: shape.qRow)
            r0 = r1
        }
        for row in length..<s {
            (pBase + row * s).update(repeating: 0, count: s)
            (oBase + row * shape.qRow).update(repeating: 0, count: d)
        }
    }

    /// Softmax over `row[0..<valid]` in place; `row[valid..<total]` becomes 0.
    static func softmaxCausalRow(_ row: UnsafeMutablePointer<Float>, valid: Int, total: Int) {
        let maximum = VectorMath.max(row, count: valid)
        let m16 = SIMD16<Float>(repeating: maximum)
        var acc16 = SIMD16<Float>()
        var j = 0
        while j + 16 <= valid {
            let e = VectorMath.exp(VectorMath.load16(row + j) - m16)
            acc16 += e
            VectorMath.store16(e, row + j)
            j += 16
        }
        let m = SIMD8<Float>(repeating: maximum)
        var acc = acc16.lowHalf + acc16.highHalf
        while j < valid {
            let n = min(8, valid - j)
            if n == 8 {
                let e = VectorMath.exp(VectorMath.load(row + j) - m)
                acc += e
                VectorMath.store(e, row + j)
            } else {
                let e = VectorMath.exp(VectorMath.load(UnsafePointer(row + j), count: n, padding: -.infinity) - m)
                acc += e
                VectorMath.store(e, row + j, count: n)
            }
            j += 8
        }
        let inverse = SIMD8<Float>(repeating: 1 / VectorMath.horizontalSum(acc))
        j = 0
        while j + 8 <= valid {
            VectorMath.store(VectorMath.load(row + j) * inverse, row + j)
            j += 8
        }
        while j < valid { row[j] *= inverse[0]; j += 1 }
        (row + valid).update(repeating: 0, count: total - valid)
    }

    static func backwardHead(
        _ shape: Shape, b: Int, h: Int, scratch: UnsafeMutablePointer<Float>,
        dQ: UnsafeMutablePointer<Float>, dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>,
        dOutput: UnsafePointer<Float>,
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probabilities: UnsafePointer<Float>
    ) {
        let s = shape.sequenceLength, d = shape.headDim
        let length = Int(shape.lengths[b])
        let kvHead = h / shape.group
        let qOffset = (b * s * shape.heads + h) * d
        let kvOffset = (b * s * shape.kvHeads + kvHead) * d
        let pBase = probabilities + (b * shape.heads + h) * s * s
        // Pass 1, by query row blocks: dS = P * (dO V^T - rowsum(P * dO V^T)) into scratch
        // [length, s] (zero above the diagonal), and dQ += scale * dS K.
        var r0 = 0
        while r0 < length {
            let r1 = min(length, r0 + blockRows)
            let rows = r1 - r0
            let dSBlock = scratch + r0 * s
            GEMM.multiply(transposeA: false, transposeB: true, m: rows, n: r1, k: d,
                          a: dOutput + qOffset + r0 * shape.qRow, lda: shape.qRow, b: v + kvOffset, ldb: shape.kvRow,
                          beta: 0, c: dSBlock, ldc: s)
            for row in r0..<r1 {
                let valid = row + 1
                let p = pBase + row * s
                let ds = scratch + row * s
                let rowDot = VectorMath.dot(p, ds, count: valid)
                let c = SIMD8<Float>(repeating: rowDot)
                var j = 0
                while j + 8 <= valid {
                    VectorMath.store(VectorMath.load(p + j) * (VectorMath.load(ds + j) - c), ds + j)
                    j += 8
                }
                while j < valid { ds[j] = p[j] * (ds[j] - rowDot); j += 1 }
                (ds + valid).update(repeating: 0, count: r1 - valid)
            }
            GEMM.multiply(transposeA: false, transposeB: false, m: rows, n: d, k: r1, alpha: shape.scale,
                          a: dSBlock, lda: s, b: k + kvOffset, ldb: shape.kvRow,
                          beta: 1, c: dQ + qOffset + r0 * shape.qRow, ldc: shape.qRow)
            r0 = r1
        }
        // Pass 2, by key column blocks: only query rows c0..<length see keys c0..<c1.
        var c0 = 0
        while c0 < length {
            let c1 = min(length, c0 + blockRows)
            let columns = c1 - c0, rows = length - c0
            // dV[c0..<c1] += P[c0..<length, c0..<c1]^T dO[c0..<length]
            GEMM.multiply(transposeA: true, transposeB: false, m: columns, n: d, k: rows,
                          a: pBase + c0 * s + c0, lda: s, b: dOutput + qOffset + c0 * shape.qRow, ldb: shape.qRow,
                          beta: 1, c: dV + kvOffset + c0 * shape.kvRow, ldc: shape.kvRow)
            // dK[c0..<c1] += scale * dS[c0..<length, c0..<c1]^T Q[c0..<length]
            GEMM.multiply(transposeA: true, transposeB: false, m: columns, n: d, k: rows, alpha: shape.scale,
                          a: scratch + c0 * s + c0, lda: s, b: q + qOffset + c0 * shape.qRow, ldb: shape.qRow,
                          beta: 1, c: dK + kvOffset + c0 * shape.kvRow, ldc: shape.kvRow)
            c0 = c1
        }
    }
}
