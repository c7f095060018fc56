/// How `DecodeWeights` keeps a model's linear weights for decoding.
public enum DecodeWeightFormat: String, Sendable, Equatable, CaseIterable, Codable {
    /// Single precision, exactly the model's weights (the default).
    case f32
    /// ggml's Q8_0 (a half-precision scale per 32 weights of a row and one signed byte per
    /// weight), about 3.8x less memory to stream per token. Decoding then computes exactly
    /// what the f32 path computes on the Q8_0-dequantised weights (each weight is rebuilt in
    /// registers as scale x byte, which is exact), so it is still batch-invariant and
    /// reproducible, but the logits are those of the quantised model, not of the original one.
    /// A weight whose rows are not a whole number of 32-weight blocks stays f32.
    case q8_0
}
