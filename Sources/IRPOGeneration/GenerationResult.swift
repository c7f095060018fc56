/// One finished sample.
public struct GenerationResult: Sendable, Equatable, Codable {
    /// Index of the prompt in the request.
    public var promptIndex: Int
    /// Index of the sample among the prompt's samples.
    public var sampleIndex: Int
    /// Generated token ids, including a final EOS token or the tokens that completed a stop
    /// string.
    public var tokens: [Int32]
    /// Decoded completion (without EOS and cut before a stop string); `nil` without a tokenizer.
    public var text: String?
    /// Why the sample ended.
    public var finishReason: FinishReason
    /// `log p(token)` under the model's raw distribution for every generated token, when
    /// `GenerateParameters.returnLogProbs` is set.
    public var logProbs: [Float]?

    /// Creates a result.
    public init(promptIndex: Int, sampleIndex: Int, tokens: [Int32], text: String?, finishReason: FinishReason, logProbs: [Float]?) {
        self.promptIndex = promptIndex
        self.sampleIndex = sampleIndex
        self.tokens = tokens
        self.text = text
        self.finishReason = finishReason
        self.logProbs = logProbs
    }
}

/// One generated token, reported to the streaming callback as soon as it is sampled.
public struct GenerationEvent: Sendable, Equatable {
    /// Index of the prompt in the request.
    public var promptIndex: Int
    /// Index of the sample among the prompt's samples.
    public var sampleIndex: Int
    /// The token.
    public var token: Int32
    /// Its log-probability (0 unless requested).
    public var logProb: Float
    /// Text that became final with this token (may be empty; `nil` without a tokenizer).
    public var text: String?
    /// Set on the sample's last token.
    public var finishReason: FinishReason?
}
