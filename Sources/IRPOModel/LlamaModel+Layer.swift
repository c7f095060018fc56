import IRPOTensor

/// What one decoder layer's forward needs besides its weights and activations: the batch's
/// shape and positions and the scratch buffers every layer reuses.
///
/// The pointers are borrowed: they are valid only while the caller's storage and its
/// `withUnsafeBufferPointer` scopes over the positions and lengths are.
struct LayerForwardContext {
    /// B sequences padded to S tokens, T = B * S rows.
    let batchSize: Int
    let sequenceLength: Int
    var tokens: Int { batchSize * sequenceLength }
    /// Position of each row [T] and unpadded length of each sequence [B].
    let positions: UnsafePointer<Int32>
    let lengths: UnsafePointer<Int32>
    let rotary: RotaryEmbedding
    /// Fused q/k/v projection output [T, H*D + 2*Hkv*D].
    let qkv: UnsafeMutablePointer<Float>
    /// SwiGLU output [T, I].
    let swiglu: UnsafeMutablePointer<Float>
    /// Frozen projections are dequantised here just before their product
    /// (`FrozenProjections.scratchCount` floats), when the model has them.
    let weightScratch: UnsafeMutablePointer<Float>?
    let adapters: LoRAAdapters?
    let dropout: LoRADropout?
    /// [T, max(C, H*D, I)] for the adapters' dropout, when there is any.
    let dropoutScratch: UnsafeMutablePointer<Float>?
}

extension LlamaModel {
    /// The buffers of one layer's activations for T rows, reading its input from `input` and
    /// writing the residual stream after attention to `middle` (which may be `input`).
    func allocateLayer(rows t: Int, batchSize b: Int, sequenceLength s: Int, input: UnsafeMutablePointer<Float>,
                       middle: UnsafeMutablePointer<Float>, adapters: LoRAAdapters?,
                       storage: ActivationStorage) -> LayerActivations {
        let c = configuration
        return LayerActivations(
            input: input, norm1: storage.allocate(t * c.hiddenSize), inverseRMS1: storage.allocate(t),
            q: storage.allocate(t * c.queryWidth), k: storage.allocate(t * c.keyValueWidth),
            v: storage.allocate(t * c.keyValueWidth),
            attention: storage.allocate(t * c.queryWidth), probabilities: storage.allocate(b * c.attentionHeads * s * s),
            middle: middle, norm2: storage.allocate(t * c.hiddenSize), inverseRMS2: storage.allocate(t),
            gateUp: storage.allocate(t * 2 * c.intermediateSize),
            loraHidden: adapters.map { storage.allocate($0.hiddenCount(layer: 0, tokens: t)) })
    }

    /// The per-layer scratch buffers of a `LayerForwardContext` for T rows, from `storage`.
    func layerScratch(rows t: Int, dropout: Bool, storage: ActivationStorage)
        -> (qkv: UnsafeMutablePointer<Float>, swiglu: UnsafeMutablePointer<Float>, dropout: UnsafeMutablePointer<Float>?) {
        let c = configuration
        return (qkv: storage.allocate(t * (c.queryWidth + 2 * c.keyValueWidth)),
                swiglu: storage.allocate(t * c.intermediateSize),
                dropout: dropout ? storage.allocate(t * max(c.hiddenSize, c.queryWidth, c.intermediateSize)) : nil)
    }

    /// The matrix frozen projections are dequantised into before each product (one per pass,
    /// forward or backward), or nil for a model without them.
    func frozenWeightScratch(_ storage: ActivationStorage) -> UnsafeMutablePointer<Float>? {
        frozenProjections.map { _ in storage.allocate(FrozenProjections.scratchCount(configuration)) }
    }

    /// One decoder layer over T rows: reads `a.input`, fills every activation of `a` and writes
    /// the layer's output (the residual stream after the MLP) to `output` (which may be
    /// `a.middle`). With adapters, each adapted group adds its low-rank product after the base
    /// product. The same inputs give the same bits, so a backward may recompute a layer; it
    /// passes no `output`, and the down projection, whose result no backward reads, is skipped
    /// (a down adapter still computes its `A x`).
    func layerForward(_ layer: Int, _ a: LayerActivations, output: UnsafeMutablePointer<Float>?,
                      context x: LayerForwardContext) {
        let c = configuration
        let t = x.tokens, hidden = c.hiddenSize, qWidth = c.queryWidth, kvWidth = c.keyValueWidth
        let inner = c.intermediateSize, qkvWidth = qWidth + 2 * kvWidth
        let epsilon = Float(c.rmsNormEpsilon)
        let p = { (kind: ParameterKind) in self.parameters.pointer(kind, layer: layer) }
        let w = { (group: LoRAGroup) in self.projection(group, layer: layer, scratch: x.weightScratch) }
        let lora = { (group: LoRAGroup, input: UnsafeMutablePointer<Float>, fused: UnsafeMutablePointer<Float>) in
            guard let adapters = x.adapters, let hidden = a.loraHidden,
                  let adapted = adapters.layout.group(group, layer: layer) else { return }
            adapters.forward(adapted, input: input, tokens: t,
                             hidden: hidden + adapters.hiddenOffset(adapted, layer: layer, tokens: t), fused: fused,
                             dropout: x.dropout, layer: layer, dropoutScratch: x.dropoutScratch)
        }
        // Attention block: input [T, C] -> norm1 [T, C] -> qkv [T, H*D + 2*Hkv*D] -> q [T, H*D],
        // k, v [T, Hkv*D] -> attention [T, H*D] -> middle [T, C] = input + o-projection.
        RMSNorm.forward(output: a.norm1, inverseRMS: a.inverseRMS1, input: a.input, weight: p(.attentionNorm),
                        tokens: t, channels: hidden, epsilon: epsilon)
        // q, k, v in one GEMM: their weights (and biases) are adjacent in the layout.
        GEMM.multiply(transposeA: false, transposeB: true, m: t, n: qkvWidth, k: hidden,
                      a: a.norm1, b: w(.attentionInput), c: x.qkv)
        lora(.attentionInput, a.norm1, x.qkv)
        if c.attentionBias {
            Elementwise.addBias(x.qkv, bias: p(.queryBias), rows: t, columns: qkvWidth)
        }
        FusedRows.split(x.qkv, into: [a.q, a.k, a.v], widths: [qWidth, kvWidth, kvWidth], rows: t)
        x.rotary.apply(inPlace: a.q, positions: x.positions, tokens: t, heads: c.attentionHeads)
        x.rotary.apply(inPlace: a.k, positions: x.positions, tokens: t, heads: c.keyValueHeads)
        Attention.forward(output: a.attention, probabilities: a.probabilities, q: a.q, k: a.k, v: a.v,
                          lengths: x.lengths, batch: x.batchSize, sequenceLength: x.sequenceLength,
                          heads: c.attentionHeads, kvHeads: c.keyValueHeads, headDim: c.headDimension)
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
        FusedRows.swiGLUForward(output: x.swiglu, gateUp: a.gateUp, rows: t, inner: inner)
        guard let output else {
            if let adapters = x.adapters, let hidden = a.loraHidden, let adapted = adapters.layout.group(.mlpOutput, layer: layer) {
                adapters.forwardHidden(adapted, input: x.swiglu, tokens: t,
                                       hidden: hidden + adapters.hiddenOffset(adapted, layer: layer, tokens: t),
                                       dropout: x.dropout, layer: layer, dropoutScratch: x.dropoutScratch)
            }
            return
        }
        if output != a.middle { output.update(from: a.middle, count: t * hidden) }
        GEMM.multiply(transposeA: false, transposeB: true, m: t, n: hidden, k: inner,
                      a: x.swiglu, b: w(.mlpOutput), beta: 1, c: output)
        lora(.mlpOutput, x.swiglu, output)
    }
}
