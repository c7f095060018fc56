/// New tokens for one KV-cache slot in a `LlamaModel.decode` call: a whole prompt (prefill), a
/// prompt suffix after a shared prefix, or the single token just sampled.
public struct DecodeSegment: Sendable, Equatable {
    /// The cache slot the tokens belong to; their positions continue after the slot's cached
    /// tokens.
    public var slot: Int
    /// The new token ids (at least one).
    public var tokens: [Int32]

    /// A segment of `tokens` for `slot`.
    public init(slot: Int, tokens: [Int32]) {
        self.slot = slot
        self.tokens = tokens
    }
}

/// Which rows of logits `LlamaModel.decode` computes.
public enum DecodeLogitRows: Sendable, Equatable {
    /// One row per segment: the logits after its last token (what generation needs).
    case last
    /// One row per token of every segment, in order (for tests and scoring).
    case all
}

/// How `LlamaModel.decode` multiplies single-token steps by the weights.
public enum DecodeMatmul: Sendable, Equatable {
    /// `InvariantMatmul`: every logit is computed the same way whatever the batch, so a sequence's
    /// tokens do not depend on its neighbours (the default; generation's reproducibility rests
    /// on it).
    case batchInvariant
    /// BLAS `sgemm` for every product: faster for large batches, but results change in the last
    /// bits with the batch size.
    case blas
}
