import IRPOTensor

extension LlamaModel {
    /// Runs the model over new tokens of several sequences, appending their keys and values to
    /// `cache`, and returns logits.
    ///
    /// Each segment's tokens take the positions after those already cached in its slot, and
    /// attend to the cached tokens plus the segment's earlier tokens, so a prompt can be
    /// prefilled in one call and then extended one token per call. Segments are packed without
    /// padding: T = total new tokens rows go through every projection as one matrix product.
    ///
    /// - Parameters:
    ///   - segments: new tokens per slot; slots must be distinct.
    ///   - cache: a cache made for this model's configuration.
    ///   - rows: `.last` (one row per segment) or `.all` (one row per new token).
    ///   - matmul: kernel for every product of the call: with `.batchInvariant` a row's result
    ///     never depends on the other rows, so a prompt prefilled in one call, in pieces, or
    ///     after a shared prefix gives the same keys, values and logits.
    /// - Returns: logits `[rows, V]` row-major.
    /// - Throws: `ModelError.invalidInput` for empty segments, repeated or out-of-range slots,
    ///   token ids outside the vocabulary, a cache of another shape, or a slot that would
    ///   overflow the cache capacity or the model's sliding window.
    public func decode(
        _ segments: [DecodeSegment], cache: KVCache, rows: DecodeLogitRows = .last, matmul: DecodeMatmul = .batchInvariant
    ) throws -> [Float] {
        let count = try validateDecode(segments, cache: cache)
        let rowCount = rows == .last ? segments.count : count
        var logits = [Float](repeating: 0, count: rowCount * configuration.vocabularySize)
        logits.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            runDecode(segments, tokenCount: count, cache: cache, rows: rows, matmul: matmul, packed: nil, logits: base)
        }
        return logits
    }

    /// `decode(_:cache:rows:)` writing the logits into `logits` (`[rows, V]`, caller-owned), so
    /// a generation loop can reuse one buffer.
    /// - Parameter packedWeights: this model's weights packed for the batch-invariant kernel
    ///   (`DecodeWeights(model:)`), so single-token steps do not repack them; the logits are the
    ///   same, bit for bit, with or without it. The caller keeps it current with the weights.
    /// - Throws: as `decode(_:cache:rows:matmul:)`, and `ModelError.invalidInput` for packed
    ///   weights made from another model.
    public func decode(
        _ segments: [DecodeSegment], cache: KVCache, rows: DecodeLogitRows = .last,
        matmul: DecodeMatmul = .batchInvariant, packedWeights: DecodeWeights? = nil, into logits: UnsafeMutablePointer<Float>
    ) throws {
        let count = try validateDecode(segments, cache: cache)
        if let packedWeights, packedWeights.modelIdentifier != ObjectIdentifier(self) {
            throw ModelError.invalidInput("the packed decode weights were made from another model; make them with DecodeWeights(model:) from this one")
        }
        runDecode(segments, tokenCount: count, cache: cache, rows: rows, matmul: matmul, packed: packedWeights, logits: logits)
    }

    /// Checks the segments against the cache; returns the total number of new tokens.
    private func validateDecode(_ segments: [DecodeSegment], cache: KVCache) throws -> Int {
        let c = configuration
        guard frozenProjections == nil else {
            throw ModelError.invalidInput("this model keeps its projections quantised (a frozen LoRA base) and cannot decode; decode from model.dequantized()")
        }
        guard cache.layerCount == c.layerCount, cache.rowWidth == c.keyValueWidth else {
            throw ModelError.invalidInput("the KV cache was made for another model shape (\(cache.layerCount) layers x \(cache.rowWidth) floats, this model needs \(c.layerCount) x \(c.keyValueWidth)); make the cache from this model's configuration")
        }
        guard !segments.isEmpty else { throw ModelError.invalidInput("decode was given no segments; pass at least one") }
        var seen = Set<Int>()
        var total = 0
        for (index, segment) in segments.enumerated() {
            guard segment.slot >= 0 && segment.slot < cache.slotCount else {
                throw ModelError.invalidInput("decode segment \(index): slot \(segment.slot) is outside the cache's 0..<\(cache.slotCount)")
            }
            guard seen.insert(segment.slot).inserted else {
                throw ModelError.invalidInput("decode segment \(index): slot \(segment.slot) appears twice in one call; merge the segments")
            }
            guard !segment.tokens.isEmpty else {
                throw ModelError.invalidInput("decode segment \(index) (slot \(segment.slot)) has no tokens")
            }
            if let bad = segment.tokens.first(where: { $0 < 0 || Int($0) >= c.vocabularySize }) {
                throw ModelError.invalidInput("decode segment \(index): token id \(bad) is outside the vocabulary 0..<\(c.vocabularySize); check the tokenizer matches the model")
            }
            let end = cache.length(of: segment.slot) + segment.tokens.count
            guard end <= cache.capacity(of: segment.slot) else {
                throw ModelError.invalidInput("decode segment \(index): slot \(segment.slot) would hold \(end) tokens, more than its cache capacity \(cache.capacity(of: segment.slot)); make a larger cache or stop earlier")
            }
            try checkLength(end)
            total += segment.tokens.count
        }
        return total
    }

    /// The decode pass proper (inputs validated).
    private func runDecode(
        _ segments: [DecodeSegment], tokenCount t: Int, cache: KVCache, rows: DecodeLogitRows,
        matmul: DecodeMatmul, packed: DecodeWeights?, logits: UnsafeMutablePointer<Float>
    ) {
        let c = configuration
        let hidden = c.hiddenSize, qWidth = c.queryWidth, kvWidth = c.keyValueWidth, inner = c.intermediateSize
        let epsilon = Float(c.rmsNormEpsilon)

        // Packed inputs: ids [T], positions [T], and each segment's first row and start position.
        var ids = [Int32](), positions = [Int32]()
        ids.reserveCapacity(t)
        positions.reserveCapacity(t)
        var plan: [DecodeAttention.Segment] = []
        var maxEnd = 0
        for segment in segments {
            let start = cache.length(of: segment.slot)
            plan.append(DecodeAttention.Segment(slot: segment.slot, firstRow: ids.count, start: start, count: segment.tokens.count))
            for (i, id) in segment.tokens.enumerated() {
                ids.append(id)
                positions.append(Int32(start + i))
            }
            maxEnd = max(maxEnd, start + segment.tokens.count)
        }
        let rotary = rotary(covering: maxEnd)
        let storage = ActivationStorage()
        let residual = storage.allocate(t * hidden)      // [T, C]
        let normed = storage.allocate(t * hidden)        // [T, C]
        let inverseRMS = storage.allocate(t)             // [T]
        let q = storage.allocate(t * qWidth)             // [T, H*D]
        let k = storage.allocate(t * kvWidth)            // [T, Hkv*D]
        let v = storage.allocate(t * kvWidth)            // [T, Hkv*D]
        let attention = storage.allocate(t * qWidth)     // [T, H*D]
        let gate = storage.allocate(t * inner)           // [T, I]
        let up = storage.allocate(t * inner)             // [T, I]
        let activated = storage.allocate(t * inner)      // [T, I]
        let shape = DecodeAttention.Shape(heads: c.attentionHeads, kvHeads: c.keyValueHeads, headDim: c.headDimension)
        // The batch-invariant kernel for decode steps and prefills alike: a sequence's logits must
        // not depend on its batch, nor on how its prompt was split (a shared prefix, then the rest).
        let invariant = matmul == .batchInvariant
        /// y [rows, n] (+)= x [rows, k] W^T with W [n, k] the weight `kind` of `layer`.
        func linear(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ kind: ParameterKind, layer: Int = 0,
                    rows: Int, n: Int, k: Int, accumulate: Bool = false) {
            if invariant, let packed {
                InvariantMatmul.multiply(y: y, x: x, weight: packed.weight(kind, layer: layer), rows: rows, outputs: n, inner: k,
                                         accumulate: accumulate)
            } else if invariant {
                InvariantMatmul.multiply(y: y, x: x, w: parameters.pointer(kind, layer: layer), rows: rows, outputs: n, inner: k,
                                         accumulate: accumulate)
            } else {
                GEMM.multiply(transposeA: false, transposeB: true, m: rows, n: n, k: k, a: x, b: parameters.pointer(kind, layer: layer),
                              beta: accumulate ? 1 : 0, c: y)
            }
        }

        /// Several products of the same x (q/k/v, gate/up): one fused pass with packed weights.
        func linears(_ products: [(y: UnsafeMutablePointer<Float>, kind: ParameterKind, n: Int)], _ x: UnsafePointer<Float>,
                     layer: Int, rows: Int, k: Int) {
            if invariant, let packed {
                InvariantMatmul.multiply(products.map { .init(y: $0.y, weight: packed.weight($0.kind, layer: layer), outputs: $0.n) },
                                         x: x, rows: rows, inner: k)
            } else {
                for product in products { linear(product.y, x, product.kind, layer: layer, rows: rows, n: product.n, k: k) }
            }
        }

        ids.withUnsafeBufferPointer { idBuffer in
            positions.withUnsafeBufferPointer { positionBuffer in
                guard let idBase = idBuffer.baseAddress, let positionBase = positionBuffer.baseAddress else { return }
                // residual [T, C] = embedding [V, C] at ids [T] (T: the new tokens of every segment)
                Embedding.forward(output: residual, ids: idBase, table: parameters.pointer(.embedding),
                                  tokens: t, channels: hidden, vocabulary: c.vocabularySize)
                for layer in 0..<c.layerCount {
                    let p = { (kind: ParameterKind) in self.parameters.pointer(kind, layer: layer) }
                    // Attention block: residual [T, C] -> normed [T, C] -> q [T, H*D], k, v [T, Hkv*D]
                    // -> cache += k, v -> attention [T, H*D] over each slot's cache -> residual += o-projection.
                    RMSNorm.forward(output: normed, inverseRMS: inverseRMS, input: residual, weight: p(.attentionNorm),
                                    tokens: t, channels: hidden, epsilon: epsilon)
                    linears([(q, .queryWeight, qWidth), (k, .keyWeight, kvWidth), (v, .valueWeight, kvWidth)],
                            normed, layer: layer, rows: t, k: hidden)
                    if c.attentionBias {
                        Elementwise.addBias(q, bias: p(.queryBias), rows: t, columns: qWidth)
                        Elementwise.addBias(k, bias: p(.keyBias), rows: t, columns: kvWidth)
                        Elementwise.addBias(v, bias: p(.valueBias), rows: t, columns: kvWidth)
                    }
                    rotary.apply(inPlace: q, positions: positionBase, tokens: t, heads: c.attentionHeads)
                    rotary.apply(inPlace: k, positions: positionBase, tokens: t, heads: c.keyValueHeads)
                    // Append the new keys and values to the cache.
                    for segment in plan {
                        for i in 0..<segment.count {
                            let row = (segment.firstRow + i) * kvWidth
                            cache.store(layer: layer, slot: segment.slot, position: segment.start + i, key: k + row, value: v + row)
                        }
                    }
                    DecodeAttention.forward(output: attention, q: q, cache: cache, layer: layer, segments: plan, shape: shape)
                    linear(residual, attention, .outputWeight, layer: layer, rows: t, n: hidden, k: qWidth, accumulate: true)
                    // MLP block: residual [T, C] -> normed [T, C] -> gate, up [T, I] -> activated [T, I]
                    // -> residual += down-projection [T, C].
                    RMSNorm.forward(output: normed, inverseRMS: inverseRMS, input: residual, weight: p(.mlpNorm),
                                    tokens: t, channels: hidden, epsilon: epsilon)
                    linears([(gate, .gateWeight, inner), (up, .upWeight, inner)], normed, layer: layer, rows: t, k: hidden)
                    SwiGLU.forward(output: activated, gate: gate, up: up, count: t * inner)
                    linear(residual, activated, .downWeight, layer: layer, rows: t, n: hidden, k: inner, accumulate: true)
                }
            }
        }
        for segment in plan { cache.advance(slot: segment.slot, by: segment.count) }

        // Final norm and LM head at the requested rows.
        let headRows: [Int32] = rows == .last ? plan.map { Int32($0.firstRow + $0.count - 1) } : (0..<t).map { Int32($0) }
        let n = headRows.count
        let gathered = storage.allocate(n * hidden)
        gatherRows(gathered, from: residual, rows: headRows, width: hidden)
        RMSNorm.forward(output: normed, inverseRMS: inverseRMS, input: gathered, weight: parameters.pointer(.finalNorm),
                        tokens: n, channels: hidden, epsilon: epsilon)
        linear(logits, normed, layout.outputEmbeddingKind, rows: n, n: c.vocabularySize, k: hidden)
    }
}
