/// Why a sample stopped.
public enum FinishReason: String, Codable, Sendable, Equatable {
    /// The model produced an end-of-sequence token.
    case eos
    /// The decoded text contains one of the stop strings.
    case stop
    /// `maxNewTokens` were generated, or the context window is full.
    case length
}
