import CIRPOKernels
import IRPOTensor

/// Causal grouped-query attention of new tokens against a KV cache (the decode-time
/// counterpart of `Attention.forward`).
///
/// Query row `i` of a segment sits at position `start + i` and sees cached positions
/// `0...start + i` of its slot. Every query row (a decode step's one token, or each token of a
/// prefill) streams its (slot, kv head)'s contiguous cache block: scores 8 positions at a time
/// from the dimension-major key blocks (8 lanes, no horizontal sums), one softmax, then the value
/// rows into register accumulators. Rows a slot shares with another (`KVCache.sharePrefix`) are
/// read in place, and the work is ordered by kv head and shared source so those rows stay in
/// cache while every sample of a prompt reads them. Every output element is computed by one
/// worker in a fixed order that depends only on its own query, its position and the cached rows,
/// so results do not depend on the batch, on sharing, on how a prompt is split into prefills, or
/// on the thread count. On CPUs with AVX-512 (`VectorKernels.avx512`) the two products run in
/// C (`irpo_attention_scores_avx512`, `irpo_attention_values_avx512`) with the same chains, so
/// the same bits.
enum DecodeAttention {
    /// Rows of one segment in the packed `[T, ...]` buffers and where it sits in its slot.
    struct Segment: Sendable {
        /// Cache slot.
        let slot: Int
        /// First packed row.
        let firstRow: Int
        /// Position of the first new token (= tokens cached before this call).
        let start: Int
        /// Number of new tokens.
        let count: Int
    }

    /// Head sizes.
    struct Shape: Sendable {
        let heads: Int, kvHeads: Int, headDim: Int
        var group: Int { heads / kvHeads }
        var qRow: Int { heads * headDim }
        var kvRow: Int { kvHeads * headDim }
        var scale: Float { 1 / Float(headDim).squareRoot() }
    }

    /// Attention output for every new token of `segments` at `layer` (their keys and values
    /// already stored in `cache`).
    /// - Parameters:
    ///   - output: [T, H*D].
    ///   - q: [T, H*D], after the rotary embedding.
    static func forward(
        output: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, cache: KVCache, layer: Int,
        segments: [Segment], shape: Shape
    ) {
        var queries: [(segment: Segment, rows: [KVCache.HeadRows], source: Int)] = []
        for segment in segments {
            let rows = (0..<shape.kvHeads).map { cache.rows(layer: layer, slot: segment.slot, head: $0) }
            let source = rows.first.map { $0.sharedRows > 0 ? Int(bitPattern: $0.sharedKeys) : -1 } ?? -1
            // A prefill's rows one by one, each exactly as a decode step at its position.
            for i in 0..<segment.count {
                queries.append((Segment(slot: segment.slot, firstRow: segment.firstRow + i, start: segment.start + i, count: 1), rows, source))
            }
        }
        guard !queries.isEmpty else { return }
        // Samples that read the same shared rows next to each other, so those rows stay in cache.
        queries.sort { ($0.source, $0.segment.slot) < ($1.source, $1.segment.slot) }
        let maxLength = queries.map { $0.segment.start + 1 }.max() ?? 1
        let items = queries.count * shape.kvHeads
        let work = queries
        let B = KVCache.blockSize
        let grouped = VectorKernels.avx512 && shape.headDim % 8 == 0
        let scoreStride = (maxLength + B - 1) / B * B
        Parallel.forEachChunk(count: items, minimumChunk: max(1, 8192 / max(1, maxLength * shape.headDim / B))) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: scoreStride * (grouped ? shape.group : 1))
            defer { scores.deallocate() }
            for item in range {
                // kv-head-major: each worker streams few heads' shared rows.
                let kvHead = item / work.count
                let entry = work[item % work.count]
                let length = entry.segment.start + 1
                if grouped {
                    let offset = entry.segment.firstRow * shape.qRow + kvHead * shape.group * shape.headDim
                    attendGroup(output: output + offset, q: UnsafePointer(q) + offset, rows: entry.rows[kvHead],
                                length: length, shape: shape, scores: scores, scoreStride: scoreStride)
                    continue
                }
                for g in 0..<shape.group {
                    let offset = entry.segment.firstRow * shape.qRow + (kvHead * shape.group + g) * shape.headDim
                    attend(output: output + offset, q: UnsafePointer(q) + offset, rows: entry.rows[kvHead],
                           length: length, shape: shape, scores: scores)
                }
            }
        }
    }

    /// One query head against the first `length` cached positions of one (slot, kv head), with
    /// the Swift (AVX2) kernels.
    /// - Parameter scores: scratch of at least `length` rounded up to 8 floats.
    static func attend(
        output: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, rows: KVCache.HeadRows,
        length: Int, shape: Shape, scores: UnsafeMutablePointer<Float>
    ) {
        let d = shape.headDim, B = KVCache.blockSize
        let blocks = (length + B - 1) / B
        let sharedBlocks = min(blocks, rows.sharedRows / B)
        let scale = SIMD8<Float>(repeating: shape.scale)
        var block = 0
        while block < sharedBlocks {
            VectorMath.store(blockScores(q: q, block: rows.sharedKeys + block * B * d, headDim: d) * scale, scores + block * B)
            block += 1
        }
        while block < blocks {
            VectorMath.store(blockScores(q: q, block: rows.keys + block * B * d, headDim: d) * scale, scores + block * B)
            block += 1
        }
        DecodeAttention.softmax(scores, count: length)
        let shared = min(length, rows.sharedRows)
        if d % 8 == 0 {
            var c = 0
            while c + 32 <= d {
                weightedSum32(output: output + c, weights: scores, sharedValues: rows.sharedValues + c, values: rows.values + c,
                              shared: shared, length: length, stride: d)
                c += 32
            }
            while c < d {
                weightedSum8(output: output + c, weights: scores, sharedValues: rows.sharedValues + c, values: rows.values + c,
                             shared: shared, length: length, stride: d)
                c += 8
            }
        } else {
            for c in 0..<d {
                var acc: Float = 0
                for j in 0..<shared { acc = (scores[j] * rows.sharedValues[j * d + c]) + acc }
                for j in shared..<length { acc = (scores[j] * rows.values[j * d + c]) + acc }
                output[c] = acc
            }
        }
    }

    /// The `shape.group` query heads that share one kv head (query and output rows `headDim`
    /// apart), with the AVX-512 kernels, which read each key and value row once for up to four
    /// heads: the same bits as `attend` head by head. Needs `VectorKernels.avx512Available` and a
    /// head size that is a multiple of 8.
    /// - Parameter scores: scratch of `group * scoreStride` floats, `scoreStride` at least
    ///   `length` rounded up to 8.
    static func attendGroup(
        output: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, rows: KVCache.HeadRows,
        length: Int, shape: Shape, scores: UnsafeMutablePointer<Float>, scoreStride: Int
    ) {
        let d = shape.headDim, group = shape.group
        irpo_attention_scores_avx512(scores, scoreStride, q, group, rows.sharedKeys, rows.keys, rows.sharedRows, length, d, shape.scale)
        for g in 0..<group { DecodeAttention.softmax(scores + g * scoreStride, count: length) }
        irpo_attention_values_avx512(output, scores, scoreStride, group, rows.sharedValues, rows.values, rows.sharedRows, length, d)
    }

    /// `q · key` for the 8 positions of one dimension-major key block (`[headDim][8]`): four
    /// chains over the dimensions (`i % 4`), added in a fixed order.
    @inline(__always)
    static func blockScores(q: UnsafePointer<Float>, block: UnsafePointer<Float>, headDim d: Int) -> SIMD8<Float> {
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var i = 0
        while i + 4 <= d {
            a0 = a0.addingProduct(SIMD8(repeating: q[i]), VectorMath.load(block + i * 8))
            a1 = a1.addingProduct(SIMD8(repeating: q[i + 1]), VectorMath.load(block + (i + 1) * 8))
            a2 = a2.addingProduct(SIMD8(repeating: q[i + 2]), VectorMath.load(block + (i + 2) * 8))
            a3 = a3.addingProduct(SIMD8(repeating: q[i + 3]), VectorMath.load(block + (i + 3) * 8))
            i += 4
        }
        while i < d {
            a0 = a0.addingProduct(SIMD8(repeating: q[i]), VectorMath.load(block + i * 8))
            i += 1
        }
        return (a0 + a1) + (a2 + a3)
    }

    /// `output[0..<32] = sum_j weights[j] * row_j[0..<32]` over `j < length` ascending, row `j`
    /// from `sharedValues` below `shared` and from `values` after; one chain per element.
    @inline(__always)
    static func weightedSum32(
        output: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, sharedValues: UnsafePointer<Float>,
        values: UnsafePointer<Float>, shared: Int, length: Int, stride: Int
    ) {
        var o = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        accumulate32(&o, weights: weights, rows: sharedValues, range: 0..<shared, stride: stride)
        accumulate32(&o, weights: weights, rows: values, range: shared..<length, stride: stride)
        let (o0, o1, o2, o3) = o
        VectorMath.store(o0, output)
        VectorMath.store(o1, output + 8)
        VectorMath.store(o2, output + 16)
        VectorMath.store(o3, output + 24)
    }

    /// `o += weights[j] * rows[j * stride ..< +32]` for `j` in `range`, ascending.
    @inline(__always)
    static func accumulate32(
        _ o: inout (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>), weights: UnsafePointer<Float>,
        rows: UnsafePointer<Float>, range: Range<Int>, stride: Int
    ) {
        var (o0, o1, o2, o3) = o
        var row = rows + range.lowerBound * stride
        for j in range {
            let w = SIMD8<Float>(repeating: weights[j])
            o0 = o0.addingProduct(w, VectorMath.load(row))
            o1 = o1.addingProduct(w, VectorMath.load(row + 8))
            o2 = o2.addingProduct(w, VectorMath.load(row + 16))
            o3 = o3.addingProduct(w, VectorMath.load(row + 24))
            row += stride
        }
        o = (o0, o1, o2, o3)
    }

    /// As `weightedSum32` for 8 elements.
    @inline(__always)
    static func weightedSum8(
        output: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, sharedValues: UnsafePointer<Float>,
        values: UnsafePointer<Float>, shared: Int, length: Int, stride: Int
    ) {
        var o = SIMD8<Float>()
        for j in 0..<shared { o = o.addingProduct(SIMD8(repeating: weights[j]), VectorMath.load(sharedValues + j * stride)) }
        for j in shared..<length { o = o.addingProduct(SIMD8(repeating: weights[j]), VectorMath.load(values + j * stride)) }
        VectorMath.store(o, output)
    }

    /// Softmax of `row[0..<count]` in place.
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let m = SIMD8<Float>(repeating: VectorMath.max(row, count: count))
        var acc = SIMD8<Float>()
        var j = 0
        while j + 8 <= count {
            let e = VectorMath.exp(VectorMath.load(row + j) - m)
            acc += e
            VectorMath.store(e, row + j)
            j += 8
        }
        if j < count {
            let e = VectorMath.exp(VectorMath.load(UnsafePointer(row + j), count: count - j, padding: -.infinity) - m)
            acc += e
            VectorMath.store(e, row + j, count: count - j)
        }
        let inverse = 1 / VectorMath.horizontalSum(acc)
        for i in 0..<count { row[i] *= inverse }
    }
}
