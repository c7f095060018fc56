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
    ///
    /// With `recomputingLayers` (gradient checkpointing), a training pass keeps only each
    /// layer's input and the backward runs each layer's forward again just before its backward:
    /// the same gradients to the bit, for about one more forward through the layers and a
    /// fraction of the memory (one layer's activations instead of all of them).
    /// - Throws: `ModelError.invalidInput` for empty sequences, mismatched masks, ids outside
    ///   the vocabulary, or adapters made for other shapes.
    public func forward(_ batch: TokenBatch, savingForBackward: Bool = true, recomputingLayers: Bool = false,
                        adapters: LoRAAdapters? = nil) throws -> ForwardPass {
        try batch.validate(vocabularySize: configuration.vocabularySize)
        try checkLength(batch.maxLength)
        try checkAdapters(adapters)
        return forwardValidated(batch, savingForBackward: savingForBackward, recomputingLayers: recomputingLayers,
                                adapters: adapters)
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
    func forwardValidated(_ batch: TokenBatch, savingForBackward: Bool, recomputingLayers: Bool = false,
                          adapters: LoRAAdapters? = nil) -> ForwardPass {
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
        let layers = runTrunk(packed, saving: savingForBackward, recomputing: recomputingLayers, storage: storage,
                              adapters: adapters, dropout: dropout)
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
            layerInputs: savingForBackward && recomputingLayers ? Array(layers.residuals.prefix(c.layerCount)) : [],
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
    /// `residuals[0...L]`; with `recomputing`, training keeps only `residuals[0...L]` (each
    /// layer's input, and the last layer's output) and returns no layer activations: the backward
    /// recomputes each layer from its input. Inference shares one set and one residual buffer
    /// (`residuals[0]`). With `adapters`, each adapted group adds its low-rank product after the
    /// base product.
    func runTrunk(
        _ packed: PackedBatch, saving: Bool, recomputing: Bool = false, storage: ActivationStorage,
        adapters: LoRAAdapters? = nil, dropout: LoRADropout? = nil
    ) -> (activations: [LayerActivations], residuals: [UnsafeMutablePointer<Float>]) {
        let b = packed.batchSize, s = packed.sequenceLength
        let c = configuration
        let t = b * s, hidden = c.hiddenSize
        let keepsLayers = saving && !recomputing
        // A recomputing pass's one set of layer buffers goes back to the pool when the pass
        // ends, for the backward to take again.
        let working = saving && recomputing ? ActivationStorage(pool: bufferPool) : storage
        var residuals: [UnsafeMutablePointer<Float>] = [storage.allocate(t * hidden)]
        if saving {
            for _ in 0..<c.layerCount { residuals.append(storage.allocate(t * hidden)) }
        }
        let activations: [LayerActivations] = keepsLayers
            ? (0..<c.layerCount).map { layer in
                allocateLayer(rows: t, batchSize: b, sequenceLength: s, input: residuals[layer],
                              middle: storage.allocate(t * hidden), adapters: adapters, storage: storage)
            }
            : [allocateLayer(rows: t, batchSize: b, sequenceLength: s, input: residuals[0],
                             middle: saving ? working.allocate(t * hidden) : residuals[0], adapters: adapters,
                             storage: working)]
        let scratch = layerScratch(rows: t, dropout: dropout != nil, storage: working)
        let rotary = rotary(covering: s)

        withExtendedLifetime(working) {
            packed.ids.withUnsafeBufferPointer { idBuffer in
                packed.positions.withUnsafeBufferPointer { positionBuffer in
                    packed.lengths.withUnsafeBufferPointer { lengthBuffer in
                        guard let idBase = idBuffer.baseAddress, let positionBase = positionBuffer.baseAddress,
                              let lengthBase = lengthBuffer.baseAddress else { return }
                        let context = LayerForwardContext(
                            batchSize: b, sequenceLength: s, positions: positionBase, lengths: lengthBase, rotary: rotary,
                            qkv: scratch.qkv, swiglu: scratch.swiglu, weightScratch: frozenWeightScratch(working), adapters: adapters,
                            dropout: dropout, dropoutScratch: scratch.dropout)
                        // residual [T, C] = embedding [V, C] at ids [T]
                        Embedding.forward(output: residuals[0], ids: idBase, table: parameters.pointer(.embedding),
                                          tokens: t, channels: hidden, vocabulary: c.vocabularySize)
                        for layer in 0..<c.layerCount {
                            var a = keepsLayers ? activations[layer] : activations[0]
                            if saving { a.input = residuals[layer] }
                            layerForward(layer, a, output: saving ? residuals[layer + 1] : residuals[0], context: context)
                        }
                    }
                }
            }
        }
        return (keepsLayers || !saving ? activations : [], residuals)
    }

    /// `destination[i] = source[rows[i]]` for rows of `width` floats.
    func gatherRows(_ destination: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>, rows: [Int32], width: Int) {
        for (i, row) in rows.enumerated() {
            (destination + i * width).update(from: source + Int(row) * width, count: width)
        }
    }
}
