import XCTest
import IRPOModel
import IRPOTensor

/// The model's incremental forward (`LlamaModel.decode` over a `KVCache`) against its full
/// forward (`LlamaModel.logits`).
final class DecodeTests: XCTestCase {
    /// Largest |a - b| over rows of `vocab` logits.
    func maxDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    /// Three sequences of different lengths: prefill different prompt lengths in one packed
    /// call, then one token per call for the sequences still running; every position's logits
    /// must match the full forward.
    func testIncrementalLogitsMatchFullForwardAtEveryPosition() throws {
        for name in TinyModels.names { for matmul in [DecodeMatmul.batchInvariant, .blas] {
            let model = try TinyModels.model(name)
            let v = model.configuration.vocabularySize
            let sequences = [TinyModels.tokens(7, seed: 1), TinyModels.tokens(12, seed: 2), TinyModels.tokens(40, seed: 3)]
            let prefill = [1, 5, 9]
            let s = sequences.map(\.count).max() ?? 0
            let reference = try model.logits(sequences)  // [B, S, V]
            let cache = try KVCache(configuration: model.configuration, slots: 3, capacity: 48)
            var worst: Float = 0
            // Packed prefill with rows for every token.
            let segments = sequences.indices.map { DecodeSegment(slot: $0, tokens: Array(sequences[$0].prefix(prefill[$0]))) }
            let first = try model.decode(segments, cache: cache, rows: .all)
            var row = 0
            for b in sequences.indices {
                for t in 0..<prefill[b] {
                    worst = max(worst, maxDifference(first[(row * v)..<((row + 1) * v)], reference[((b * s + t) * v)..<((b * s + t + 1) * v)]))
                    row += 1
                }
            }
            // One token at a time, the batch shrinking as sequences end.
            var position = prefill
            while true {
                let active = sequences.indices.filter { position[$0] < sequences[$0].count }
                if active.isEmpty { break }
                let step = try model.decode(active.map { DecodeSegment(slot: $0, tokens: [sequences[$0][position[$0]]]) },
                                            cache: cache, matmul: matmul)
                for (r, b) in active.enumerated() {
                    let t = position[b]
                    worst = max(worst, maxDifference(step[(r * v)..<((r + 1) * v)], reference[((b * s + t) * v)..<((b * s + t + 1) * v)]))
                    position[b] += 1
                }
            }
            XCTAssertEqual(cache.length(of: 2), 40)
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(name) \(matmul): max |incremental - full| = \(worst)")
            XCTAssertGreaterThan(reference.map(abs).max() ?? 0, 0.1, "\(name): logits should not be trivially small")
        } }
    }

    /// A prompt prefilled once and copied (or shared in place) to other slots, each continuing
    /// with a different multi-token suffix and then single tokens: logits equal the full forward
    /// of prompt + suffix, and sharing gives the copies' logits bit for bit.
    func testSharedPrefixCopiesGiveFullForwardLogits() throws {
        for name in ["llama-tied-gqa", "qwen2-bias"] {
            var byMode: [[Float]] = []
            for share in [false, true] {
                byMode.append(try sharedPrefixLogits(name: name, share: share))
            }
            XCTAssertEqual(byMode[0], byMode[1], "\(name): shared rows must give the copies' logits")
        }
    }

    /// The logits of `testSharedPrefixCopiesGiveFullForwardLogits`'s decode, checked against the
    /// full forward, in order.
    func sharedPrefixLogits(name: String, share: Bool) throws -> [Float] {
        do {
            let model = try TinyModels.model(name, seed: 3)
            let v = model.configuration.vocabularySize
            let prompt = TinyModels.tokens(11, seed: 4)
            let suffixes = [TinyModels.tokens(6, seed: 5), TinyModels.tokens(1, seed: 6), TinyModels.tokens(9, seed: 7)]
            let cache = try KVCache(configuration: model.configuration, slots: 4, capacity: 32)
            _ = try model.decode([DecodeSegment(slot: 3, tokens: prompt)], cache: cache)
            if share {
                for slot in 0..<3 { cache.sharePrefix(from: 3, to: slot) }
                XCTAssertEqual(cache.sharerCount(of: 3), 3)
            } else {
                for slot in 0..<3 { cache.copyPrefix(from: 3, to: slot) }
                cache.reset(slot: 3)
            }
            // First suffix token(s) as a packed call: multi-token segments after a cached prefix.
            let split = [4, 1, 2]
            let first = try model.decode((0..<3).map { DecodeSegment(slot: $0, tokens: Array(suffixes[$0].prefix(split[$0]))) },
                                         cache: cache, rows: .all)
            var rows: [(Int, Int)] = []  // (sequence, position in prompt+suffix)
            for b in 0..<3 { for i in 0..<split[b] { rows.append((b, prompt.count + i)) } }
            var produced: [(Int, Int, ArraySlice<Float>)] = rows.enumerated().map { r, item in
                (item.0, item.1, first[(r * v)..<((r + 1) * v)])
            }
            var position = split
            while true {
                let active = (0..<3).filter { position[$0] < suffixes[$0].count }
                if active.isEmpty { break }
                let step = try model.decode(active.map { DecodeSegment(slot: $0, tokens: [suffixes[$0][position[$0]]]) }, cache: cache)
                for (r, b) in active.enumerated() {
                    produced.append((b, prompt.count + position[b], step[(r * v)..<((r + 1) * v)]))
                    position[b] += 1
                }
            }
            let full = suffixes.map { prompt + $0 }
            let reference = try model.logits(full)
            let s = full.map(\.count).max() ?? 0
            var worst: Float = 0
            for (b, t, logits) in produced {
                worst = max(worst, maxDifference(logits, reference[((b * s + t) * v)..<((b * s + t + 1) * v)]))
            }
            XCTAssertEqual(produced.count, suffixes.map(\.count).reduce(0, +))
            XCTAssertLessThanOrEqual(worst, 1e-4, "\(name) (share \(share)): max |shared-prefix decode - full| = \(worst)")
            return produced.flatMap { $0.2 }
        }
    }

    /// The same rows give bit-identical logits alone or next to other sequences, and with 1 or
    /// 2 threads.
    func testDecodeRowsDoNotDependOnBatchOrThreads() throws {
        let model = try TinyModels.model("llama-tied-gqa", seed: 9)
        let v = model.configuration.vocabularySize
        let prompts = (0..<8).map { TinyModels.tokens(3 + $0, seed: UInt64(20 + $0)) }
        func run(batch: [Int], threads: Int) throws -> [[Float]] {
            let saved = (Parallel.threadCount, GEMM.threadCount)
            defer { Parallel.threadCount = saved.0; GEMM.threadCount = saved.1 }
            Parallel.threadCount = threads
            GEMM.threadCount = threads
            let cache = try KVCache(configuration: model.configuration, slots: batch.count, capacity: 16)
            for (slot, p) in batch.enumerated() { _ = try model.decode([DecodeSegment(slot: slot, tokens: prompts[p])], cache: cache) }
            var out: [[Float]] = []
            for step in 0..<4 {
                let logits = try model.decode(batch.indices.map { DecodeSegment(slot: $0, tokens: [Int32(step * 7 + batch[$0])]) }, cache: cache)
                out.append(Array(logits[0..<v]))
            }
            return out
        }
        let alone = try run(batch: [0], threads: 1)
        XCTAssertTrue(try run(batch: [0], threads: 2) == alone, "1 vs 2 threads")
        XCTAssertTrue(try run(batch: Array(0..<8), threads: 1) == alone, "batch 1 vs 8")
        XCTAssertTrue(try run(batch: Array(0..<8), threads: 2) == alone, "batch 1 vs 8, 2 threads")
        XCTAssertTrue(try run(batch: [0, 3, 5], threads: 2) == alone, "batch 1 vs 3")
    }

    func testDecodeRejectsBadSegments() throws {
        let model = try TinyModels.model("llama-tied-gqa")
        let cache = try KVCache(configuration: model.configuration, slots: 2, capacity: 4)
        let cases: [([DecodeSegment], String)] = [
            ([], "no segments"),
            ([DecodeSegment(slot: 2, tokens: [1])], "slot 2"),
            ([DecodeSegment(slot: 0, tokens: [1]), DecodeSegment(slot: 0, tokens: [2])], "twice"),
            ([DecodeSegment(slot: 0, tokens: [])], "no tokens"),
            ([DecodeSegment(slot: 0, tokens: [97])], "token id 97"),
            ([DecodeSegment(slot: 1, tokens: [1, 2, 3, 4, 5])], "capacity 4"),
        ]
        for (segments, message) in cases {
            XCTAssertThrowsError(try model.decode(segments, cache: cache)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
            }
        }
        let other = try TinyModels.model("llama-untied-mha")
        let wrongCache = try KVCache(configuration: other.configuration, slots: 1, capacity: 4)
        XCTAssertThrowsError(try model.decode([DecodeSegment(slot: 0, tokens: [1])], cache: wrongCache))
    }
}

/// Decode steps with the weights packed ahead of time (`DecodeWeights`, what `Generator` uses).
final class PackedDecodeTests: XCTestCase {
    func testPackedWeightsGiveTheSameLogitsBitForBit() throws {
        for name in TinyModels.names {
            let model = try TinyModels.model(name)
            let v = model.configuration.vocabularySize
            let packed = DecodeWeights(model: model)
            XCTAssertGreaterThan(packed.byteCount, 0)
            let prompts = [TinyModels.tokens(5, seed: 1), TinyModels.tokens(9, seed: 2), TinyModels.tokens(3, seed: 3)]
            let plainCache = try KVCache(configuration: model.configuration, slots: 3, capacity: 16)
            let packedCache = try KVCache(configuration: model.configuration, slots: 3, capacity: 16)
            for (slot, prompt) in prompts.enumerated() {
                _ = try model.decode([DecodeSegment(slot: slot, tokens: prompt)], cache: plainCache)
                _ = try model.decode([DecodeSegment(slot: slot, tokens: prompt)], cache: packedCache)
            }
            for step in 0..<4 {
                let segments = (0..<3).map { DecodeSegment(slot: $0, tokens: [Int32((step * 7 + $0 * 3) % v)]) }
                let plain = try model.decode(segments, cache: plainCache)
                var viaPacked = [Float](repeating: .nan, count: 3 * v)
                try viaPacked.withUnsafeMutableBufferPointer { buffer in
                    try model.decode(segments, cache: packedCache, packedWeights: packed, into: buffer.baseAddress!)
                }
                XCTAssertEqual(plain, viaPacked, "\(name) step \(step)")
            }
        }
    }

    func testPackedWeightsOfAnotherModelAreRejected() throws {
        let model = try TinyModels.model(TinyModels.names[0])
        let other = try TinyModels.model(TinyModels.names[0])
        let cache = try KVCache(configuration: model.configuration, slots: 1, capacity: 4)
        var logits = [Float](repeating: 0, count: model.configuration.vocabularySize)
        XCTAssertThrowsError(try logits.withUnsafeMutableBufferPointer { buffer in
            try model.decode([DecodeSegment(slot: 0, tokens: [1])], cache: cache, packedWeights: DecodeWeights(model: other),
                             into: buffer.baseAddress!)
        }) { error in
            XCTAssertTrue("\(error)".contains("another model"), "\(error)")
        }
    }
}
