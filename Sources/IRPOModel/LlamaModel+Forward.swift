import IRPOTensor

extension LlamaModel {
    /// Runs the model over `batch` and returns the scored tokens' log-probabilities.
    ///
    /// Sequences are right-padded internally to the longest one. With `savingForBackward` the
    /// pass keeps every activation `backward` needs, including the [N, V] logits of the N scored
    /// tokens (overwritten in place by backward); without it, layers share buffers and the LM
    /// head runs in row chunks, so memory stays small.
    ///
    /// For DPO, put the chosen and the rejected sequences of every pair in one batch (e.g. all
    /// chosen first, then all rejected) and read `sumLogProbs` by index.
    ///
    /// With `adapters`, every adapted projection adds `(alpha / r) B A x` to its output (the base
    /// weights are not changed); a pass with adapters is backpropagated with
    /// `backward(_:dSumLogProbs:adapterGradients:)`.
    /// - Throws: `ModelError.invalidInput` for empty sequences, mismatched masks, ids outside
    ///   the vocabulary, or adapters made for other shapes.
    public func forward(_ batch: TokenBatch, savingForBackward: Bool = true, adapters: LoRAAdapters? = nil) throws -> ForwardPass {
        try batch.validate(vocabularySize: configuration.vocabularySize)
        try checkLength(batch.maxLength)
        try checkAdapters(adapters)
        return forwardValidated(batch, savingForBackward: savingForBackward, adapters: adapters)
    }

    /// Rejects adapters made for a model of other shapes.
    func checkAdapters(_ adapters: LoRAAdapters?) throws {
        guard let adapters else { return }
        guard adapters.baseLayout == layout else {
            throw ModelError.invalidInput("the LoRA adapters were made for a model of other shapes; create them for this model's configuration")
        }
    }

    /// `forward(_:savingForBackward:adapters:)` on a batch that has passed `validate` and
    /// `checkLength` (the sharded forward checks the whole batch once, then runs its parts
    /// through this).
    func forwardValidated(_ batch: TokenBatch, savingForBackward: Bool, adapters: LoRAAdapters? = nil) -> ForwardPass {
        let c = configuration
        let packed = PackedBatch(batch)
        let b = packed.batchSize, s = packed.sequenceLength
        let hidden = c.hiddenSize, vocab = c.vocabularySize
        let scoredRows = packed.scoredRows, scoredSequence = packed.scoredSequence
        let n = scoredRows.count
        let storage = ActivationStorage(pool: bufferPool)
        // Adapter dropout only in training passes (scoring passes are PEFT's eval mode).
        let dropout = adapters.flatMap { adapters -> LoRADropout? in
            guard savingForBackward, adapters.configuration.dropout > 0 else { return nil }
            return LoRADropout(probability: Float(adapters.configuration.dropout),
                               key: LoRADropout.key(stream: adapters.dropoutStream, ids: packed.ids))
        }
        let layers = runTrunk(packed, saving: savingForBackward, storage: storage, adapters: adapters, dropout: dropout)
        let finalResidual = savingForBackward ? layers.residuals[c.layerCount] : layers.residuals[0]

        // Final norm only at scored rows.
        let headInput = storage.allocate(n * hidden)
        let headNormed = storage.allocate(n * hidden)
        let headInverseRMS = storage.allocate(n)
        gatherRows(headInput, from: finalResidual, rows: scoredRows, width: hidden)
        RMSNorm.forward(output: headNormed, inverseRMS: headInverseRMS, input: headInput,
                        weight: parameters.pointer(.finalNorm), tokens: n, channels: hidden,
                        epsilon: Float(c.rmsNormEpsilon))

        // LM head + log-softmax + gather; training keeps the logits, inference uses row chunks.
        let head = parameters.pointer(layout.outputEmbeddingKind)
        let logSumExp = storage.allocate(n)
        var logProbs = [Float](repeating: 0, count: n)
        let chunkRows = savingForBackward ? max(1, n) : max(1, min(n, 256))
        let logits = storage.allocate(chunkRows * vocab)
        packed.targets.withUnsafeBufferPointer { targetBuffer in
            logProbs.withUnsafeMutableBufferPointer { logProbBuffer in
                guard let targetBase = targetBuffer.baseAddress, let logProbBase = logProbBuffer.baseAddress else { return }
                var start = 0
                while start < n {
                    let rows = min(chunkRows, n - start)
                    GEMM.multiply(transposeA: false, transposeB: true, m: rows, n: vocab, k: hidden,
                                  a: headNormed + start * hidden, b: head, c: logits)
                    LogSoftmaxGather.forward(logProbs: logProbBase + start, logSumExp: logSumExp + start,
                                             logits: logits, targets: targetBase + start, tokens: rows, vocab: vocab)
                    start += rows
                }
            }
        }

        var sums = [Double](repeating: 0, count: b)
        var counts = [Int](repeating: 0, count: b)
        var tokenLogProbs = batch.sequences.map { [Float](repeating: 0, count: $0.count) }
        for i in 0..<n {
            let sequence = scoredSequence[i]
            sums[sequence] += Double(logProbs[i])
            counts[sequence] += 1
            tokenLogProbs[sequence][Int(scoredRows[i]) - sequence * s + 1] = logProbs[i]
        }
        let headActivations = HeadActivations(finalResidual: finalResidual, input: headInput, normed: headNormed,
                                              inverseRMS: headInverseRMS, logits: savingForBackward ? logits : nil,
                                              logSumExp: logSumExp)
        return ForwardPass(
            sumLogProbs: sums.map { Float($0) }, tokenCounts: counts, tokenLogProbs: tokenLogProbs,
            savesForBackward: savingForBackward, batch: packed, storage: storage, layers: layers.activations,
            head: headActivations, adapters: adapters, dropout: dropout)
    }

    /// Logits of every position of every sequence, `[B, S, V]` row-major with S the longest
    /// length; rows at padded positions are zero. For tests and inspection (memory B*S*V).
    /// - Throws: `ModelError.invalidInput` for empty sequences or ids outside the vocabulary.
    public func logits(_ sequences: [[Int32]]) throws -> [Float] {
        let batch = TokenBatch(sequences: sequences, scoreMasks: sequences.map { [Bool](repeating: false, count: $0.count) })
        try batch.validate(vocabularySize: configuration.vocabularySize)
        try checkLength(batch.maxLength)
        let c = configuration
        let packed = PackedBatch(batch)
        let hidden = c.hiddenSize, vocab = c.vocabularySize
        let rows = packed.unpaddedRows
        let storage = ActivationStorage(pool: bufferPool)
        let trunk = runTrunk(packed, saving: false, storage: storage)
        let n = rows.count
        let gathered = storage.allocate(n * hidden), normed = storage.allocate(n * hidden), inverse = storage.allocate(n)
        gatherRows(gathered, from: trunk.residuals[0], rows: rows, width: hidden)
        RMSNorm.forward(output: normed, inverseRMS: inverse, input: gathered, weight: parameters.pointer(.finalNorm),
                        tokens: n, channels: hidden, epsilon: Float(c.rmsNormEpsilon))
        let compact = storage.allocate(n * vocab)
        GEMM.multiply(transposeA: false, transposeB: true, m: n, n: vocab, k: hidden,
                      a: normed, b: parameters.pointer(layout.outputEmbeddingKind), c: compact)
        var result = [Float](repeating: 0, count: packed.tokens * vocab)
        result.withUnsafeMutableBufferPointer { output in
            guard let base = output.baseAddress else { return }
            for (i, row) in rows.enumerated() {
                (base + Int(row) * vocab).update(from: compact + i * vocab, count: vocab)
            }
        }
        return result
    }

    /// Rejects sequences longer than a sliding attention window this engine does not apply.
    func checkLength(_ length: Int) throws {
        if let window = configuration.slidingWindow, length > window {
            throw ModelError.invalidInput("a sequence has \(length) tokens, more than the model's sliding_window \(window), which this engine does not implement; shorten the sequences")
        }
    }

    /// Embedding and all decoder layers. Training keeps one set of activations per layer and
    /// `residuals[0...L]`; inference shares one set and one residual buffer (`residuals[0]`).
    /// With `adapters`, each adapted group adds its low-rank product after the base product.
    func runTrunk(
        _ packed: PackedBatch, saving: Bool, storage: ActivationStorage, adapters: LoRAAdapters? = nil, dropout: LoRADropout? = nil
    ) -> (activations: [LayerActivations], residuals: [UnsafeMutablePointer<Float>]) {
        let ids = packed.ids, positions = packed.positions, lengths = packed.lengths
        let b = packed.batchSize, s = packed.sequenceLength
        let c = configuration
        let t = b * s, hidden = c.hiddenSize, qWidth = c.queryWidth, kvWidth = c.keyValueWidth, inner = c.intermediateSize
        let epsilon = Float(c.rmsNormEpsilon)
        let rotary = rotary(covering: s)

        func makeLayer(input: UnsafeMutablePointer<Float>, middle: UnsafeMutablePointer<Float>) -> LayerActivations {
            LayerActivations(
                input: input, norm1: storage.allocate(t * hidden), inverseRMS1: storage.allocate(t),
                q: storage.allocate(t * qWidth), k: storage.allocate(t * kvWidth), v: storage.allocate(t * kvWidth),
                attention: storage.allocate(t * qWidth), probabilities: storage.allocate(b * c.attentionHeads * s * s),
                middle: middle, norm2: storage.allocate(t * hidden), inverseRMS2: storage.allocate(t),
                gateUp: storage.allocate(t * 2 * inner),
                loraHidden: adapters.map { storage.allocate($0.hiddenCount(layer: 0, tokens: t)) })
        }
        var residuals: [UnsafeMutablePointer<Float>] = [storage.allocate(t * hidden)]
        var activations: [LayerActivations] = []
        if saving {
            for _ in 0..<c.layerCount {
                let middle = storage.allocate(t * hidden)
                let output = storage.allocate(t * hidden)
                activations.append(makeLayer(input: residuals[residuals.count - 1], middle: middle))
                residuals.append(output)
            }
        } else {
            activations.append(makeLayer(input: residuals[0], middle: residuals[0]))
        }
        let swiglu = storage.allocate(t * inner)
        let qkvWidth = qWidth + 2 * kvWidth
        let qkv = storage.allocate(t * qkvWidth)   // fused q/k/v projection [T, H*D + 2*Hkv*D]
        // Frozen projections are dequantised group by group into this buffer just before their product.
        let weightScratch = frozenProjections.map { _ in storage.allocate(FrozenProjections.scratchCount(c)) }
        let dropoutScratch = dropout.map { _ in storage.allocate(t * max(hidden, qWidth, inner)) }

        ids.withUnsafeBufferPointer { idBuffer in
            positions.withUnsafeBufferPointer { positionBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    guard let idBase = idBuffer.baseAddress, let positionBase = positionBuffer.baseAddress,
                          let lengthBase = lengthBuffer.baseAddress else { return }
                    // residual [T, C] = embedding [V, C] at ids [T]
                    Embedding.forward(output: residuals[0], ids: idBase, table: parameters.pointer(.embedding),
                                      tokens: t, channels: hidden, vocabulary: c.vocabularySize)
                    for layer in 0..<c.layerCount {
                        let a = saving ? activations[layer] : activations[0]
                        let output = saving ? residuals[layer + 1] : residuals[0]
                        let p = { (kind: ParameterKind) in self.parameters.pointer(kind, layer: layer) }
                        let w = { (group: LoRAGroup) in self.projection(group, layer: layer, scratch: weightScratch) }
                        let lora = { (group: LoRAGroup, input: UnsafeMutablePointer<Float>, fused: UnsafeMutablePointer<Float>) in
                            guard let adapters, let hidden = a.loraHidden,
                                  let adapted = adapters.layout.group(group, layer: layer) else { return }
                            adapters.forward(adapted, input: input, tokens: t,
                                             hidden: hidden + adapters.hiddenOffset(adapted, layer: layer, tokens: t), fused: fused,
                                             dropout: dropout, layer: layer, dropoutScratch: dropoutScratch)
                        }
                        // Attention block: input [T, C] -> norm1 [T, C] -> qkv [T, H*D + 2*Hkv*D] -> q [T, H*D],
                        // k, v [T, Hkv*D] -> attention [T, H*D] -> middle [T, C] = input + o-projection.
                        RMSNorm.forward(output: a.norm1, inverseRMS: a.inverseRMS1, input: a.input, weight: p(.attentionNorm),
                                        tokens: t, channels: hidden, epsilon: epsilon)
                        // q, k, v in one GEMM: their weights (and biases) are adjacent in the layout.
                        GEMM.multiply(transposeA: false, transposeB: true, m: t, n: qkvWidth, k: hidden,
                                      a: a.norm1, b: w(.attentionInput), c: qkv)
                        lora(.attentionInput, a.norm1, qkv)
                        if c.attentionBias {
                            Elementwise.addBias(qkv, bias: p(.queryBias), rows: t, columns: qkvWidth)
                        }
                        FusedRows.split(qkv, into: [a.q, a.k, a.v], widths: [qWidth, kvWidth, kvWidth], rows: t)
                        rotary.apply(inPlace: a.q, positions: positionBase, tokens: t, heads: c.attentionHeads)
                        rotary.apply(inPlace: a.k, positions: positionBase, tokens: t, heads: c.keyValueHeads)
                        Attention.forward(output: a.attention, probabilities: a.probabilities, q: a.q, k: a.k, v: a.v,
                                          lengths: lengthBase, batch: b, sequenceLength: s, heads: c.attentionHeads,
                                          kvHeads: c.keyValueHeads, headDim: c.headDimension)
                        if a.middle != a.input { a.middle.update(from: a.input, count: t * hidden) }
                        GEMM.multiply(transposeA: false, transposeB: true, m: t, n: hidden, k: qWidth,
                                      a: a.attention, b: w(.attentionOutput), beta: 1, c: a.middle)
                        lora(.attentionOutput, a.attention, a.middle)
                        // MLP block: middle [T, C] -> norm2 [T, C] -> gateUp [T, 2I] -> swiglu [T, I]
                        // -> output [T, C] = middle + down-projection.
                        RMSNorm.forward(output: a.norm2, inverseRMS: a.inverseRMS2, input: a.middle, weight: p(.mlpNorm),
                                        tokens: t, channels: hidden, epsilon: epsilon)
                        // gate and up in one GEMM (adjacent weights).
                        GEMM.multiply(transposeA: false, transposeB: true, m: t, n: 2 * inner, k: hidden,
                                      a: a.norm2, b: w(.mlpInput), c: a.gateUp)
                        lora(.mlpInput, a.norm2, a.gateUp)
                        FusedRows.swiGLUForward(output: swiglu, gateUp: a.gateUp, rows: t, inner: inner)
                        if output != a.middle { output.update(from: a.middle, count: t * hidden) }
                        GEMM.multiply(transposeA: false, transposeB: true, m: t, n: hidden, k: inner,
                                      a: swiglu, b: w(.mlpOutput), beta: 1, c: output)
                        lora(.mlpOutput, swiglu, output)
                    }
                }
            }
        }
        return (activations, residuals)
    }

    /// `destination[i] = source[rows[i]]` for rows of `width` floats.
    func gatherRows(_ destination: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>, rows: [Int32], width: Int) {
        for (i, row) in rows.enumerated() {
            (destination + i * width).update(from: source + Int(row) * width, count: width)
        }
    }
}
