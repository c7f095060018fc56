import IRPOTensor

extension LlamaModel {
    /// Backpropagates `d loss / d sumLogProbs[b]` through `pass` and ADDS the parameter
    /// gradients into `gradients` (same layout as `parameters`; zero it between steps yourself).
    ///
    /// `pass` must come from `forward(_:savingForBackward: true)` on this model with unchanged
    /// parameters and without adapters, and can be backpropagated once (its logits become their
    /// gradient).
    public func backward(_ pass: ForwardPass, dSumLogProbs: [Float], into gradients: ParameterBuffer) {
        precondition(pass.adapters == nil, "a pass with adapters is backpropagated with backward(_:dSumLogProbs:adapterGradients:)")
        precondition(gradients.layout == layout, "gradients must have the model's layout")
        backpropagate(pass, dSumLogProbs: dSumLogProbs, baseGradients: gradients, adapterGradients: nil)
    }

    /// Backpropagates `pass`, which ran with adapters, through the frozen base and ADDS the
    /// adapters' gradients into `adapterGradients` (their layout). No base weight gradient is
    /// formed: the products that would give them are skipped.
    public func backward(_ pass: ForwardPass, dSumLogProbs: [Float], adapterGradients: LoRABuffer) {
        guard let adapters = pass.adapters else { preconditionFailure("backward(adapterGradients:) needs a pass that ran with adapters") }
        precondition(adapterGradients.layout == adapters.layout, "adapter gradients must have the adapters' layout")
        backpropagate(pass, dSumLogProbs: dSumLogProbs, baseGradients: nil, adapterGradients: adapterGradients)
    }

    /// The backward of both entry points: base weight gradients into `baseGradients` when given
    /// (full training), adapter gradients into `adapterGradients` when the pass ran with adapters.
    func backpropagate(_ pass: ForwardPass, dSumLogProbs: [Float], baseGradients: ParameterBuffer?, adapterGradients: LoRABuffer?) {
        precondition(pass.savesForBackward, "backward needs a pass from forward(_:savingForBackward: true)")
        precondition(dSumLogProbs.count == pass.batchSize, "dSumLogProbs needs one value per sequence")
        guard let logits = pass.logits else { preconditionFailure("training pass without logits") }
        let first = pass.consume()
        precondition(first, "a ForwardPass can be backpropagated only once")

        let c = configuration
        let b = pass.batchSize, s = pass.sequenceLength, t = pass.tokens, n = pass.scoredCount
        let hidden = c.hiddenSize, vocab = c.vocabularySize
        let qWidth = c.queryWidth, kvWidth = c.keyValueWidth, inner = c.intermediateSize
        let scratch = ActivationStorage(pool: bufferPool)
        // A frozen base still needs somewhere for the norms' weight gradients: one discarded row.
        let discarded = baseGradients == nil ? scratch.allocate(hidden) : nil
        let g = { (kind: ParameterKind, layer: Int) -> UnsafeMutablePointer<Float> in
            if let baseGradients { return baseGradients.pointer(kind, layer: layer) }
            guard let discarded else { preconditionFailure("no gradient target") }
            return discarded
        }
        let train = baseGradients != nil
        precondition(!train || frozenProjections == nil, "a model with frozen projections cannot be trained itself; train adapters on it")
        let weightScratch = frozenWeightScratch(scratch)
        let adapters = pass.adapters
        let dHidden = adapters.map { scratch.allocate($0.hiddenCount(layer: 0, tokens: t)) }
        let dropoutScratch = pass.dropout.map { _ in
            (scratch.allocate(t * max(hidden, qWidth, inner)), scratch.allocate(t * max(hidden, qWidth, inner)))
        }
        /// Adapter backward of `group` in `layer` (`hidden`: its saved `A x`), when the pass ran with adapters.
        func lora(_ group: LoRAGroup, layer: Int, hidden: UnsafeMutablePointer<Float>?, input: UnsafePointer<Float>,
                  dFused: UnsafePointer<Float>, dInput: UnsafeMutablePointer<Float>) {
            guard let adapters, let adapterGradients, let dHidden, let hidden,
                  let adapted = adapters.layout.group(group, layer: layer) else { return }
            let offset = adapters.hiddenOffset(adapted, layer: layer, tokens: t)
            adapters.backward(adapted, input: input, hidden: hidden + offset, dFused: dFused, tokens: t,
                              dHidden: dHidden + offset, dInput: dInput, gradients: adapterGradients,
                              dropout: pass.dropout, layer: layer, dropoutScratch: dropoutScratch)
        }

        // LM head and final norm at the scored rows.
        let dLogProbs = pass.scoredSequence.map { dSumLogProbs[$0] }
        let headKind = layout.outputEmbeddingKind
        let dHeadNormed = scratch.allocate(n * hidden)
        let dHeadInput = scratch.zeros(n * hidden)
        dLogProbs.withUnsafeBufferPointer { dBuffer in
            pass.targets.withUnsafeBufferPointer { targetBuffer in
                guard let dBase = dBuffer.baseAddress, let targetBase = targetBuffer.baseAddress else { return }
                LogSoftmaxGather.backward(logitsToGradient: logits, dLogProbs: dBase, logSumExp: pass.logSumExp,
                                          targets: targetBase, tokens: n, vocab: vocab)
            }
        }
        if train {
            GEMM.multiply(transposeA: true, transposeB: false, m: vocab, n: hidden, k: n,
                          a: logits, b: pass.headNormed, beta: 1, c: g(headKind, 0))
        }
        GEMM.multiply(transposeA: false, transposeB: false, m: n, n: hidden, k: vocab,
                      a: logits, b: parameters.pointer(headKind), c: dHeadNormed)
        RMSNorm.backward(dInput: dHeadInput, dWeight: g(.finalNorm, 0), dOutput: dHeadNormed, input: pass.headInput,
                         weight: parameters.pointer(.finalNorm), inverseRMS: pass.headInverseRMS, tokens: n, channels: hidden)
        let dx = scratch.zeros(t * hidden)   // d(residual stream), [T, C]
        for (i, row) in pass.scoredRows.enumerated() {
            Elementwise.accumulate(into: dx + Int(row) * hidden, from: dHeadInput + i * hidden, count: hidden)
        }

        let dNorm = scratch.allocate(t * hidden)
        let hiddenOrGradient = scratch.allocate(t * inner)
        let dGateUp = scratch.allocate(t * 2 * inner)
        let dAttention = scratch.allocate(t * qWidth)
        let dQ = scratch.allocate(t * qWidth), dK = scratch.allocate(t * kvWidth), dV = scratch.allocate(t * kvWidth)
        let qkvWidth = qWidth + 2 * kvWidth
        let dQKV = scratch.allocate(t * qkvWidth)
        let rotary = rotary(covering: s)
        let dAdapterInput = adapters?.layout.configuration.adapts(.down) == true ? scratch.allocate(t * inner) : hiddenOrGradient
        // Gradient checkpointing: one set of layer activations, refilled from each layer's input.
        let recomputed = pass.recomputesLayers
            ? allocateLayer(rows: t, batchSize: b, sequenceLength: s, input: pass.layerInputs[0],
                            middle: scratch.allocate(t * hidden), adapters: adapters, storage: scratch)
            : nil
        let recomputeScratch = pass.recomputesLayers ? layerScratch(rows: t, dropout: pass.dropout != nil, storage: scratch) : nil

        pass.positions.withUnsafeBufferPointer { positionBuffer in
            pass.lengths.withUnsafeBufferPointer { lengthBuffer in
                guard let positionBase = positionBuffer.baseAddress, let lengthBase = lengthBuffer.baseAddress else { return }
                for layer in stride(from: c.layerCount - 1, through: 0, by: -1) {
                    let a: LayerActivations
                    if var layerSet = recomputed, let recomputeScratch {
                        layerSet.input = pass.layerInputs[layer]
                        layerForward(layer, layerSet, output: nil, context: LayerForwardContext(
                            batchSize: b, sequenceLength: s, positions: positionBase, lengths: lengthBase, rotary: rotary,
                            qkv: recomputeScratch.qkv, swiglu: recomputeScratch.swiglu, weightScratch: weightScratch,
                            adapters: adapters, dropout: pass.dropout, dropoutScratch: recomputeScratch.dropout))
                        a = layerSet
                    } else {
                        a = pass.layers[layer]
                    }
                    let p = { (kind: ParameterKind) in self.parameters.pointer(kind, layer: layer) }
                    let w = { (group: LoRAGroup) in self.projection(group, layer: layer, scratch: weightScratch) }
                    // MLP block: output = middle + down(silu(gate) * up); dx [T, C] holds d(output).
                    // d(output) [T, C] -> d(swiglu) [T, I] -> d(gateUp) [T, 2I] -> d(norm2) [T, C] -> dx += d(middle).
                    let downAdapted = adapters?.layout.group(.mlpOutput, layer: layer) != nil
                    if train || downAdapted {
                        FusedRows.swiGLUForward(output: hiddenOrGradient, gateUp: a.gateUp, rows: t, inner: inner)
                    }
                    if train {
                        GEMM.multiply(transposeA: true, transposeB: false, m: hidden, n: inner, k: t,
                                      a: dx, b: hiddenOrGradient, beta: 1, c: g(.downWeight, layer))
                    }
                    if downAdapted {
                        // The adapter's input is the SwiGLU output, still in hiddenOrGradient; its
                        // share of d(SwiGLU output) goes to dAdapterInput, added after the base product.
                        Elementwise.zero(dAdapterInput, count: t * inner)
                        lora(.mlpOutput, layer: layer, hidden: a.loraHidden, input: hiddenOrGradient, dFused: dx, dInput: dAdapterInput)
                    }
                    GEMM.multiply(transposeA: false, transposeB: false, m: t, n: inner, k: hidden,
                                  a: dx, b: w(.mlpOutput), c: hiddenOrGradient)
                    if downAdapted {
                        Elementwise.accumulate(into: hiddenOrGradient, from: dAdapterInput, count: t * inner)
                    }
                    Elementwise.zero(dGateUp, count: t * 2 * inner)
                    FusedRows.swiGLUBackward(dGateUp: dGateUp, dOutput: hiddenOrGradient, gateUp: a.gateUp, rows: t, inner: inner)
                    // Gate and up weights are adjacent: one [2I, C] gradient and one product for dNorm.
                    if train {
                        GEMM.multiply(transposeA: true, transposeB: false, m: 2 * inner, n: hidden, k: t,
                                      a: dGateUp, b: a.norm2, beta: 1, c: g(.gateWeight, layer))
                    }
                    GEMM.multiply(transposeA: false, transposeB: false, m: t, n: hidden, k: 2 * inner,
                                  a: dGateUp, b: w(.mlpInput), c: dNorm)
                    lora(.mlpInput, layer: layer, hidden: a.loraHidden, input: a.norm2, dFused: dGateUp, dInput: dNorm)
                    RMSNorm.backward(dInput: dx, dWeight: g(.mlpNorm, layer), dOutput: dNorm, input: a.middle,
                                     weight: p(.mlpNorm), inverseRMS: a.inverseRMS2, tokens: t, channels: hidden)

                    // Attention block: middle = input + o(attention(rope(q), rope(k), v)); dx [T, C] holds d(middle).
                    // d(middle) [T, C] -> d(attention) [T, H*D] -> dq [T, H*D], dk, dv [T, Hkv*D] -> d(norm1) [T, C] -> dx.
                    if train {
                        GEMM.multiply(transposeA: true, transposeB: false, m: hidden, n: qWidth, k: t,
                                      a: dx, b: a.attention, beta: 1, c: g(.outputWeight, layer))
                    }
                    GEMM.multiply(transposeA: false, transposeB: false, m: t, n: qWidth, k: hidden,
                                  a: dx, b: w(.attentionOutput), c: dAttention)
                    lora(.attentionOutput, layer: layer, hidden: a.loraHidden, input: a.attention, dFused: dx, dInput: dAttention)
                    Elementwise.zero(dQ, count: t * qWidth)
                    Elementwise.zero(dK, count: t * kvWidth)
                    Elementwise.zero(dV, count: t * kvWidth)
                    Attention.backward(dQ: dQ, dK: dK, dV: dV, dOutput: dAttention, q: a.q, k: a.k, v: a.v,
                                       probabilities: a.probabilities, lengths: lengthBase, batch: b, sequenceLength: s,
                                       heads: c.attentionHeads, kvHeads: c.keyValueHeads, headDim: c.headDimension)
                    rotary.applyBackward(inPlace: dQ, positions: positionBase, tokens: t, heads: c.attentionHeads)
                    rotary.applyBackward(inPlace: dK, positions: positionBase, tokens: t, heads: c.keyValueHeads)
                    // q/k/v weights (and biases) are adjacent: one [H*D + 2*Hkv*D, C] gradient.
                    FusedRows.join([dQ, dK, dV], into: dQKV, widths: [qWidth, kvWidth, kvWidth], rows: t)
                    if train {
                        if c.attentionBias {
                            accumulateColumnSums(into: g(.queryBias, layer), of: dQKV, rows: t, columns: qkvWidth)
                        }
                        GEMM.multiply(transposeA: true, transposeB: false, m: qkvWidth, n: hidden, k: t,
                                      a: dQKV, b: a.norm1, beta: 1, c: g(.queryWeight, layer))
                    }
                    GEMM.multiply(transposeA: false, transposeB: false, m: t, n: hidden, k: qkvWidth,
                                  a: dQKV, b: w(.attentionInput), c: dNorm)
                    lora(.attentionInput, layer: layer, hidden: a.loraHidden, input: a.norm1, dFused: dQKV, dInput: dNorm)
                    RMSNorm.backward(dInput: dx, dWeight: g(.attentionNorm, layer), dOutput: dNorm, input: a.input,
                                     weight: p(.attentionNorm), inverseRMS: a.inverseRMS1, tokens: t, channels: hidden)
                }
            }
        }
        guard train else { return }
        pass.ids.withUnsafeBufferPointer { idBuffer in
            guard let idBase = idBuffer.baseAddress else { return }
            Embedding.backward(dTable: g(.embedding, 0), dOutput: dx, ids: idBase, tokens: t, channels: hidden,
                               vocabulary: vocab)
        }
    }

    /// `into[j] += sum over rows of matrix[row, j]`, rows in order (deterministic).
    func accumulateColumnSums(into: UnsafeMutablePointer<Float>, of matrix: UnsafePointer<Float>, rows: Int, columns: Int) {
        for row in 0..<rows {
            Elementwise.accumulate(into: into, from: matrix + row * columns, count: columns)
        }
    }
}
