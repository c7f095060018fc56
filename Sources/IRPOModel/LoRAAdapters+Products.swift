import IRPOTensor

extension LoRAAdapters {
    /// Floats of the saved adapter activations `A x` of one layer over `tokens` rows (all groups).
    func hiddenCount(layer: Int, tokens: Int) -> Int {
        tokens * layout.layers[layer].reduce(0) { $0 + $1.stackedRank }
    }

    /// Where `group`'s `A x` `[T, stackedRank]` starts inside a layer's hidden buffer.
    func hiddenOffset(_ group: LoRALayout.Group, layer: Int, tokens: Int) -> Int {
        tokens * layout.layers[layer].prefix { $0.group != group.group }.reduce(0) { $0 + $1.stackedRank }
    }

    /// Forward of one group: `hidden = input A_stack^T` (one product for all of the group's
    /// adapters), then for each adapter `fused[:, columns] += scale * hidden[:, slot] B^T`.
    /// With `dropout`, the adapters see the input masked into `dropoutScratch` (`[T, in]`).
    /// - Parameters: input `[T, in]`, hidden `[T, stackedRank]` (written), fused `[T, fusedWidth]` (added to).
    func forward(_ group: LoRALayout.Group, input: UnsafePointer<Float>, tokens t: Int,
                 hidden: UnsafeMutablePointer<Float>, fused: UnsafeMutablePointer<Float>,
                 dropout: LoRADropout? = nil, layer: Int = 0, dropoutScratch: UnsafeMutablePointer<Float>? = nil) {
        let r = layout.rank, stacked = group.stackedRank
        forwardHidden(group, input: input, tokens: t, hidden: hidden, dropout: dropout, layer: layer,
                      dropoutScratch: dropoutScratch)
        for adapter in group.adapters {
            GEMM.multiply(transposeA: false, transposeB: true, m: t, n: adapter.outputWidth, k: r, alpha: scale,
                          a: hidden + adapter.slot * r, lda: stacked, b: weights.base + adapter.bOffset, ldb: r,
                          beta: 1, c: fused + adapter.outputColumn, ldc: group.fusedWidth)
        }
    }

    /// The first half of `forward`: `hidden = input A_stack^T` (through the dropout mask, if any),
    /// what the backward reads; a recomputed layer needs only this for a group whose output it
    /// does not recompute.
    func forwardHidden(_ group: LoRALayout.Group, input: UnsafePointer<Float>, tokens t: Int,
                       hidden: UnsafeMutablePointer<Float>, dropout: LoRADropout? = nil, layer: Int = 0,
                       dropoutScratch: UnsafeMutablePointer<Float>? = nil) {
        var x = input
        if let dropout, let dropoutScratch {
            dropout.apply(input, into: dropoutScratch, rows: t, columns: group.inputWidth, layer: layer, group: group.group)
            x = UnsafePointer(dropoutScratch)
        }
        GEMM.multiply(transposeA: false, transposeB: true, m: t, n: group.stackedRank, k: group.inputWidth,
                      a: x, b: weights.base + group.aOffset, c: hidden)
    }

    /// Backward of one group: adds the `A` and `B` gradients into `gradients` and
    /// `dHidden A_stack` into `dInput` (the base weight's share of `dInput` is the caller's).
    /// - Parameters: input `[T, in]` and hidden `[T, stackedRank]` as in the forward, dFused
    ///   `[T, fusedWidth]`, dHidden scratch `[T, stackedRank]`, dInput `[T, in]` (added to); with
    ///   the forward's `dropout`, two `[T, in]` scratch buffers.
    func backward(_ group: LoRALayout.Group, input: UnsafePointer<Float>, hidden: UnsafePointer<Float>,
                  dFused: UnsafePointer<Float>, tokens t: Int, dHidden: UnsafeMutablePointer<Float>,
                  dInput: UnsafeMutablePointer<Float>, gradients: LoRABuffer,
                  dropout: LoRADropout? = nil, layer: Int = 0,
                  dropoutScratch: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)? = nil) {
        let r = layout.rank, stacked = group.stackedRank
        for adapter in group.adapters {
            // dB [out, r] += scale * dY[:, columns]^T hidden[:, slot]
            GEMM.multiply(transposeA: true, transposeB: false, m: adapter.outputWidth, n: r, k: t, alpha: scale,
                          a: dFused + adapter.outputColumn, lda: group.fusedWidth, b: hidden + adapter.slot * r, ldb: stacked,
                          beta: 1, c: gradients.base + adapter.bOffset, ldc: r)
            // dHidden[:, slot] = scale * dY[:, columns] B
            GEMM.multiply(transposeA: false, transposeB: false, m: t, n: r, k: adapter.outputWidth, alpha: scale,
                          a: dFused + adapter.outputColumn, lda: group.fusedWidth, b: weights.base + adapter.bOffset, ldb: r,
                          beta: 0, c: dHidden + adapter.slot * r, ldc: stacked)
        }
        // dA_stack [stacked, in] += dHidden^T input; dInput += dHidden A_stack.
        if let dropout, let buffers = dropoutScratch {
            let (masked, product) = buffers
            // The same mask as the forward: dA sees the masked input, and dInput gets the
            // adapters' share through the mask.
            dropout.apply(input, into: masked, rows: t, columns: group.inputWidth, layer: layer, group: group.group)
            GEMM.multiply(transposeA: true, transposeB: false, m: stacked, n: group.inputWidth, k: t,
                          a: dHidden, b: masked, beta: 1, c: gradients.base + group.aOffset)
            GEMM.multiply(transposeA: false, transposeB: false, m: t, n: group.inputWidth, k: stacked,
                          a: dHidden, b: weights.base + group.aOffset, c: product)
            dropout.apply(product, into: product, rows: t, columns: group.inputWidth, layer: layer, group: group.group)
            Elementwise.accumulate(into: dInput, from: product, count: t * group.inputWidth)
            return
        }
        GEMM.multiply(transposeA: true, transposeB: false, m: stacked, n: group.inputWidth, k: t,
                      a: dHidden, b: input, beta: 1, c: gradients.base + group.aOffset)
        GEMM.multiply(transposeA: false, transposeB: false, m: t, n: group.inputWidth, k: stacked,
                      a: dHidden, b: weights.base + group.aOffset, beta: 1, c: dInput)
    }
}
