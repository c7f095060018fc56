import IRPOTensor

/// Causal grouped-query attention of new tokens against a KV cache (the decode-time
/// counterpart of `Attention.forward`).
///
/// Query row `i` of a segment sits at position `start + i` and sees cached positions
/// `0...start + i` of its slot. Single-token segments (decoding) use SIMD dot products, split
/// across workers by (segment, kv head), the query heads of a GQA group together so each cached
/// key and value row is read once per group; longer segments (prefill) use GEMM with leading
/// dimensions straight on the cache. Each output element is computed by one worker in a fixed
/// order, so results do not depend on the thread count.
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

    /// Attention output for every new token.
    /// - Parameters:
    ///   - output: [T, H*D].
    ///   - q: [T, H*D], after the rotary embedding.
    ///   - keys: this layer's keys, `[slots, capacity, Hkv*D]`, holding the new tokens already.
    ///   - values: this layer's values, same layout.
    ///   - slotStride: floats between slots (`capacity * Hkv*D`).
    static func forward(
        output: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, slotStride: Int,
        segments: [Segment], shape: Shape
    ) {
        var single: [Segment] = []
        for segment in segments {
            if segment.count == 1 {
                single.append(segment)
            } else {
                prefill(output: output, q: q, keys: keys, values: values, slotStride: slotStride, segment: segment, shape: shape)
            }
        }
        guard !single.isEmpty else { return }
        let out = SendablePointer(output), query = SendablePointer(q)
        let k = SendablePointer(keys), v = SendablePointer(values)
        let maxLength = single.map { $0.start + 1 }.max() ?? 1
        let items = single.count * shape.kvHeads
        Parallel.forEachChunk(count: items, minimumChunk: max(1, 4096 / max(1, maxLength))) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: maxLength * shape.group)
            defer { scores.deallocate() }
            for item in range {
                let segment = single[item / shape.kvHeads]
                let kvHead = item % shape.kvHeads
                let kBase = UnsafePointer(k.pointer) + segment.slot * slotStride + kvHead * shape.headDim
                let vBase = UnsafePointer(v.pointer) + segment.slot * slotStride + kvHead * shape.headDim
                // The group's query heads are adjacent in the row: one pass over the keys and values.
                let row = segment.firstRow * shape.qRow + kvHead * shape.group * shape.headDim
                attendGroup(output: out.pointer + row, q: UnsafePointer(query.pointer) + row, heads: shape.group,
                            keys: kBase, values: vBase, length: segment.start + 1, rowStride: shape.kvRow,
                            shape: shape, scores: scores)
            }
        }
    }

    /// `heads` adjacent query heads of one GQA group (query and output rows `headDim` apart)
    /// against the same `length` cached rows, reading each key and value row once for the whole
    /// group. Every head's arithmetic is exactly `attendOne`'s (same operations in the same
    /// order), so grouping changes no result.
    /// - Parameter scores: scratch of `heads * length` floats.
    static func attendGroup(
        output: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, heads: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, length: Int, rowStride: Int,
        shape: Shape, scores: UnsafeMutablePointer<Float>
    ) {
        let d = shape.headDim
        guard heads > 1, d % 8 == 0 else {
            for g in 0..<heads {
                attendOne(output: output + g * d, q: q + g * d, keys: keys, values: values, length: length,
                          rowStride: rowStride, shape: shape, scores: scores)
            }
            return
        }
        let scale = shape.scale
        for j in 0..<length {
            let key = keys + j * rowStride
            for g in 0..<heads { scores[g * length + j] = VectorMath.dot(q + g * d, key, count: d) * scale }
        }
        for g in 0..<heads { softmax(scores + g * length, count: length) }
        output.update(repeating: 0, count: heads * d)
        var j = 0
        // As in attendOne: four value rows per pass over each head's output.
        while j + 4 <= length {
            let r0 = values + j * rowStride, r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride
            for g in 0..<heads {
                let p = scores + g * length + j
                let w0 = SIMD8<Float>(repeating: p[0]), w1 = SIMD8<Float>(repeating: p[1])
                let w2 = SIMD8<Float>(repeating: p[2]), w3 = SIMD8<Float>(repeating: p[3])
                let o = output + g * d
                var c = 0
                while c < d {
                    var acc = VectorMath.load(o + c)
                    acc = acc.addingProduct(w0, VectorMath.load(r0 + c))
                    acc = acc.addingProduct(w1, VectorMath.load(r1 + c))
                    acc = acc.addingProduct(w2, VectorMath.load(r2 + c))
                    acc = acc.addingProduct(w3, VectorMath.load(r3 + c))
                    VectorMath.store(acc, o + c)
                    c += 8
                }
            }
            j += 4
        }
        while j < length {
            let row = values + j * rowStride
            for g in 0..<heads {
                let w = SIMD8<Float>(repeating: scores[g * length + j])
                let o = output + g * d
                var c = 0
                while c < d {
                    VectorMath.store(VectorMath.load(o + c).addingProduct(w, VectorMath.load(row + c)), o + c)
                    c += 8
                }
            }
            j += 1
        }
    }

    /// One query against `length` cached rows.
    @inline(__always)
    static func attendOne(
        output: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, length: Int, rowStride: Int,
        shape: Shape, scores: UnsafeMutablePointer<Float>
    ) {
        let d = shape.headDim
        let scale = shape.scale
        for j in 0..<length { scores[j] = VectorMath.dot(q, keys + j * rowStride, count: d) * scale }
        softmax(scores, count: length)
        output.update(repeating: 0, count: d)
        var j = 0
        if d % 8 == 0 {
            // Four value rows per pass over the output: a quarter of the loads and stores.
            while j + 4 <= length {
                let w0 = SIMD8<Float>(repeating: scores[j]), w1 = SIMD8<Float>(repeating: scores[j + 1])
                let w2 = SIMD8<Float>(repeating: scores[j + 2]), w3 = SIMD8<Float>(repeating: scores[j + 3])
                let r0 = values + j * rowStride, r1 = r0 + rowStride, r2 = r1 + rowStride, r3 = r2 + rowStride
                var c = 0
                while c < d {
                    var o = VectorMath.load(output + c)
                    o = o.addingProduct(w0, VectorMath.load(r0 + c))
                    o = o.addingProduct(w1, VectorMath.load(r1 + c))
                    o = o.addingProduct(w2, VectorMath.load(r2 + c))
                    o = o.addingProduct(w3, VectorMath.load(r3 + c))
                    VectorMath.store(o, output + c)
                    c += 8
                }
                j += 4
            }
        }
        while j < length {
            defer { j += 1 }
            let weight = scores[j]
            let w = SIMD8<Float>(repeating: weight)
            let row = values + j * rowStride
            var c = 0
            while c + 8 <= d {
                VectorMath.store(VectorMath.load(output + c).addingProduct(w, VectorMath.load(row + c)), output + c)
                c += 8
            }
            while c < d {
                output[c] += weight * row[c]
                c += 1
            }
        }
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

    /// A multi-token segment: per head, scores = Q K^T (GEMM), causal softmax, out = P V (GEMM).
    static func prefill(
        output: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, slotStride: Int,
        segment: Segment, shape: Shape
    ) {
        let n = segment.count, length = segment.start + segment.count, d = shape.headDim
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: n * length)  // [n, length]
        defer { scores.deallocate() }
        for h in 0..<shape.heads {
            let kvHead = h / shape.group
            let qBase = q + segment.firstRow * shape.qRow + h * d
            let oBase = output + segment.firstRow * shape.qRow + h * d
            let kBase = keys + segment.slot * slotStride + kvHead * d
            let vBase = values + segment.slot * slotStride + kvHead * d
            GEMM.multiply(transposeA: false, transposeB: true, m: n, n: length, k: d, alpha: shape.scale,
                          a: qBase, lda: shape.qRow, b: kBase, ldb: shape.kvRow, beta: 0, c: scores, ldc: length)
            for i in 0..<n {
                let row = scores + i * length
                let valid = segment.start + i + 1
                softmax(row, count: valid)
                (row + valid).update(repeating: 0, count: length - valid)
            }
            GEMM.multiply(transposeA: false, transposeB: false, m: n, n: d, k: length,
                          a: scores, lda: length, b: vBase, ldb: shape.kvRow, beta: 0, c: oBase, ldc: shape.qRow)
        }
    }
}
