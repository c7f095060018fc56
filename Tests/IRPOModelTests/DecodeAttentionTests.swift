import IRPOTensor
import XCTest
@testable import IRPOModel

/// The decode-attention kernel and the KV cache it reads, on their own.
final class DecodeAttentionTests: XCTestCase {
    /// A configuration with these attention sizes (one layer; the other sizes do not matter here).
    func configuration(heads: Int, kvHeads: Int, headDim: Int) -> LlamaConfiguration {
        LlamaConfiguration(vocabularySize: 8, hiddenSize: heads * headDim, intermediateSize: 8, layerCount: 1,
                           attentionHeads: heads, keyValueHeads: kvHeads, headDimension: headDim)
    }

    /// Rows of random keys and values (`[length, kvHeads * headDim]` each).
    func randomRows(_ length: Int, width: Int, seed: UInt64) -> (keys: [Float], values: [Float]) {
        var random = SeededGenerator(seed: seed)
        var keys = [Float](repeating: 0, count: length * width), values = keys
        random.fillNormal(&keys, count: keys.count, mean: 0, std: 1)
        random.fillNormal(&values, count: values.count, mean: 0, std: 1)
        return (keys, values)
    }

    /// Writes `rows` at positions `from..<to` of `slot` and records them as cached.
    func fill(_ cache: KVCache, slot: Int, rows: (keys: [Float], values: [Float]), width: Int, from: Int, to: Int) {
        for position in from..<to {
            rows.keys.withUnsafeBufferPointer { k in
                rows.values.withUnsafeBufferPointer { v in
                    cache.store(layer: 0, slot: slot, position: position, key: k.baseAddress! + position * width,
                                value: v.baseAddress! + position * width)
                }
            }
        }
        cache.advance(slot: slot, by: to - from)
    }

    /// The attention output of one new query row per slot (`[slots, heads * headDim]`).
    func attend(_ cache: KVCache, slots: [Int], q: [Float], shape: DecodeAttention.Shape) -> [Float] {
        var output = [Float](repeating: .nan, count: slots.count * shape.qRow)
        let segments = slots.enumerated().map { row, slot in
            DecodeAttention.Segment(slot: slot, firstRow: row, start: cache.length(of: slot) - 1, count: 1)
        }
        output.withUnsafeMutableBufferPointer { out in
            q.withUnsafeBufferPointer { query in
                DecodeAttention.forward(output: out.baseAddress!, q: query.baseAddress!, cache: cache, layer: 0,
                                        segments: segments, shape: shape)
            }
        }
        return output
    }

    /// The AVX-512 products and the Swift ones give the same bits, for head sizes that are
    /// multiples of 64, 16 and only 8, lengths inside and across key blocks (odd block counts
    /// included), and rows read from a shared prefix (whole blocks shared, the rest own).
    func testAVX512AttentionEqualsTheSwiftKernelBitForBit() throws {
        try XCTSkipUnless(VectorKernels.avx512Available, "this CPU has no AVX-512: only the Swift kernels can run here")
        for (headDim, prefix, extra) in [(64, 13, 20), (64, 16, 1), (16, 5, 9), (24, 40, 0), (128, 0, 33), (8, 3, 0), (72, 24, 17)] {
            let shape = DecodeAttention.Shape(heads: 2, kvHeads: 1, headDim: headDim)
            let total = prefix + extra + 1
            let cache = try KVCache(configuration: configuration(heads: 2, kvHeads: 1, headDim: headDim), capacities: [max(1, prefix), total])
            let rows = randomRows(total, width: shape.kvRow, seed: UInt64(headDim + prefix))
            if prefix > 0 {
                fill(cache, slot: 0, rows: rows, width: shape.kvRow, from: 0, to: prefix)
                cache.sharePrefix(from: 0, to: 1)
            }
            fill(cache, slot: 1, rows: rows, width: shape.kvRow, from: prefix, to: total)
            var random = SeededGenerator(seed: UInt64(headDim))
            var q = [Float](repeating: 0, count: headDim)
            random.fillNormal(&q, count: q.count, mean: 0, std: 1)
            let headRows = cache.rows(layer: 0, slot: 1, head: 0)
            for length in Set([1, 7, 8, 9, 16, 17, total / 2, total].filter { $0 >= 1 && $0 <= total }) {
                func run(_ avx512: Bool) -> [UInt32] {
                    var output = [Float](repeating: .nan, count: headDim)
                    let stride = (total + 7) / 8 * 8
                    var scores = [Float](repeating: .nan, count: stride)
                    output.withUnsafeMutableBufferPointer { out in
                        scores.withUnsafeMutableBufferPointer { scratch in
                            if avx512 {
                                // One query head on its kv head: the AVX-512 path with a group of one.
                                DecodeAttention.attendGroup(output: out.baseAddress!, q: q, rows: headRows, length: length,
                                                            shape: DecodeAttention.Shape(heads: 1, kvHeads: 1, headDim: headDim),
                                                            scores: scratch.baseAddress!, scoreStride: stride)
                            } else {
                                DecodeAttention.attend(output: out.baseAddress!, q: q, rows: headRows, length: length, shape: shape,
                                                       scores: scratch.baseAddress!)
                            }
                        }
                    }
                    return output.map(\.bitPattern)
                }
                let portable = run(false)
                XCTAssertFalse(portable.contains { !Float(bitPattern: $0).isFinite })
                XCTAssertEqual(run(true), portable, "head dim \(headDim), shared prefix \(prefix), length \(length)")
            }
            // Groups of query heads on one kv head, read together: each head as alone.
            for group in [1, 2, 3, 4, 5, 9] {
                let groupShape = DecodeAttention.Shape(heads: group, kvHeads: 1, headDim: headDim)
                var qs = [Float](repeating: 0, count: group * headDim)
                random.fillNormal(&qs, count: qs.count, mean: 0, std: 1)
                let stride = (total + 7) / 8 * 8 + 8
                for length in Set([1, 9, total]) {
                    var together = [Float](repeating: .nan, count: group * headDim)
                    var scratch = [Float](repeating: .nan, count: group * stride)
                    together.withUnsafeMutableBufferPointer { out in
                        scratch.withUnsafeMutableBufferPointer { s in
                            DecodeAttention.attendGroup(output: out.baseAddress!, q: qs, rows: headRows, length: length, shape: groupShape,
                                                        scores: s.baseAddress!, scoreStride: stride)
                        }
                    }
                    for g in 0..<group {
                        var alone = [Float](repeating: .nan, count: headDim)
                        var scores = [Float](repeating: .nan, count: stride)
                        alone.withUnsafeMutableBufferPointer { out in
                            scores.withUnsafeMutableBufferPointer { s in
                                qs.withUnsafeBufferPointer { qb in
                                    DecodeAttention.attend(output: out.baseAddress!, q: qb.baseAddress! + g * headDim, rows: headRows,
                                                           length: length, shape: groupShape, scores: s.baseAddress!)
                                }
                            }
                        }
                        XCTAssertEqual(Array(together[(g * headDim)..<((g + 1) * headDim)]).map(\.bitPattern), alone.map(\.bitPattern),
                                       "head dim \(headDim), group \(group), head \(g), length \(length)")
                    }
                }
            }
        }
    }

    /// Against softmax(q k^T / sqrt(d)) v in Double, for head sizes on every code path (a
    /// multiple of 32, of 8 only, neither) and lengths inside and across key blocks of 8.
    func testAttentionMatchesDoublePrecision() {
        for (heads, kvHeads, headDim, length) in [(4, 2, 64, 37), (2, 1, 8, 1), (3, 3, 40, 8), (2, 2, 12, 9), (6, 2, 32, 130)] {
            let shape = DecodeAttention.Shape(heads: heads, kvHeads: kvHeads, headDim: headDim)
            let cache = try! KVCache(configuration: configuration(heads: heads, kvHeads: kvHeads, headDim: headDim), slots: 2,
                                     capacity: length + 3)
            let rows = randomRows(length, width: shape.kvRow, seed: UInt64(length * 10 + headDim))
            fill(cache, slot: 1, rows: rows, width: shape.kvRow, from: 0, to: length)
            var random = SeededGenerator(seed: 99)
            var q = [Float](repeating: 0, count: shape.qRow)
            random.fillNormal(&q, count: q.count, mean: 0, std: 1)
            let output = attend(cache, slots: [1], q: q, shape: shape)
            for h in 0..<heads {
                let kv = h / shape.group
                var scores = (0..<length).map { j in
                    (0..<headDim).reduce(0.0) { $0 + Double(q[h * headDim + $1]) * Double(rows.keys[j * shape.kvRow + kv * headDim + $1]) }
                        / Double(headDim).squareRoot()
                }
                let top = scores.max() ?? 0
                scores = scores.map { Foundation.exp($0 - top) }
                let total = scores.reduce(0, +)
                for c in 0..<headDim {
                    let exact = (0..<length).reduce(0.0) { $0 + scores[$1] / total * Double(rows.values[$1 * shape.kvRow + kv * headDim + c]) }
                    XCTAssertEqual(Double(output[h * headDim + c]), exact, accuracy: 1e-5,
                                   "heads \(heads)/\(kvHeads), head dim \(headDim), length \(length): head \(h) element \(c)")
                }
            }
        }
    }

    /// A slot that reads a prefix in place (`sharePrefix`), one with a copy (`copyPrefix`), one
    /// sharing through a sharer, and one that wrote the rows itself: the same rows give the same
    /// output bit for bit, alone or together, with 1 or 2 threads.
    func testSharedCopiedAndOwnRowsGiveIdenticalResults() {
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        for (prefix, extra) in [(13, 6), (16, 1), (5, 9), (40, 0)] {
            let shape = DecodeAttention.Shape(heads: 4, kvHeads: 2, headDim: 16)
            let cache = try! KVCache(configuration: configuration(heads: 4, kvHeads: 2, headDim: 16),
                                     capacities: [prefix, prefix + extra + 1, prefix + extra + 1, prefix + extra + 1, prefix + extra + 1])
            let rows = randomRows(prefix + extra + 1, width: shape.kvRow, seed: UInt64(prefix))
            fill(cache, slot: 0, rows: rows, width: shape.kvRow, from: 0, to: prefix)
            cache.sharePrefix(from: 0, to: 1)
            cache.copyPrefix(from: 0, to: 2)
            cache.sharePrefix(from: 1, to: 3, length: prefix)
            XCTAssertEqual(cache.sharerCount(of: 0), prefix >= 8 ? 2 : 0, "prefix \(prefix): slots 1 and 3 read slot 0's full blocks")
            XCTAssertEqual(cache.sharerCount(of: 1), 0, "a sharer's source is the slot that owns the rows")
            for slot in 1...3 { fill(cache, slot: slot, rows: rows, width: shape.kvRow, from: prefix, to: prefix + extra + 1) }
            fill(cache, slot: 4, rows: rows, width: shape.kvRow, from: 0, to: prefix + extra + 1)
            var random = SeededGenerator(seed: 7)
            var q = [Float](repeating: 0, count: shape.qRow)
            random.fillNormal(&q, count: q.count, mean: 0, std: 1)
            Parallel.threadCount = 1
            let own = attend(cache, slots: [4], q: q, shape: shape)
            XCTAssertFalse(own.contains { !$0.isFinite })
            for threads in [1, 2] {
                Parallel.threadCount = threads
                for slot in 1...3 {
                    XCTAssertEqual(attend(cache, slots: [slot], q: q, shape: shape), own, "prefix \(prefix): slot \(slot) alone, \(threads) threads")
                }
                let together = attend(cache, slots: [3, 1, 4, 2], q: q + q + q + q, shape: shape)
                for row in 0..<4 {
                    XCTAssertEqual(Array(together[(row * shape.qRow)..<((row + 1) * shape.qRow)]), own,
                                   "prefix \(prefix): row \(row) of a batch, \(threads) threads")
                }
            }
            for slot in [3, 1] { cache.reset(slot: slot) }
            XCTAssertEqual(cache.sharerCount(of: 0), 0, "resetting the sharers releases the source")
            cache.reset(slot: 0)
            XCTAssertEqual(cache.length(of: 0), 0)
        }
    }

    /// A prefill (multi-token segment) after shared rows reads them in place too: it must equal
    /// the same prefill over rows the slot wrote itself, and each of its rows must equal a
    /// one-token step at that row's position (so how a prompt is split never matters).
    func testPrefillAfterASharedPrefixEqualsPrefillOverOwnRows() {
        let shape = DecodeAttention.Shape(heads: 2, kvHeads: 1, headDim: 8)
        let (prefix, suffix) = (19, 5)
        let cache = try! KVCache(configuration: configuration(heads: 2, kvHeads: 1, headDim: 8), slots: 3, capacity: prefix + suffix)
        let rows = randomRows(prefix + suffix, width: shape.kvRow, seed: 3)
        fill(cache, slot: 0, rows: rows, width: shape.kvRow, from: 0, to: prefix)
        cache.sharePrefix(from: 0, to: 1)
        fill(cache, slot: 1, rows: rows, width: shape.kvRow, from: prefix, to: prefix + suffix)
        fill(cache, slot: 2, rows: rows, width: shape.kvRow, from: 0, to: prefix + suffix)
        var random = SeededGenerator(seed: 5)
        var q = [Float](repeating: 0, count: suffix * shape.qRow)
        random.fillNormal(&q, count: q.count, mean: 0, std: 1)
        func attention(slot: Int, first: Int, count: Int) -> [Float] {
            var output = [Float](repeating: .nan, count: count * shape.qRow)
            output.withUnsafeMutableBufferPointer { out in
                q.withUnsafeBufferPointer { query in
                    DecodeAttention.forward(output: out.baseAddress!, q: query.baseAddress! + first * shape.qRow, cache: cache, layer: 0,
                                            segments: [DecodeAttention.Segment(slot: slot, firstRow: 0, start: prefix + first, count: count)],
                                            shape: shape)
                }
            }
            return output
        }
        let own = attention(slot: 2, first: 0, count: suffix)
        XCTAssertFalse(own.contains { !$0.isFinite })
        XCTAssertEqual(attention(slot: 1, first: 0, count: suffix), own)
        let stepwise = (0..<suffix).flatMap { attention(slot: 2, first: $0, count: 1) }
        XCTAssertEqual(stepwise, own)
    }
}
