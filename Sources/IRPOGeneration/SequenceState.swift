import IRPOTokenizer
/// The state of one sample being generated in a cache slot.
struct SequenceState {
    let promptIndex: Int
    let sampleIndex: Int
    let promptLength: Int
    var stream: SampleStream
    var tokens: [Int32] = []
    var logProbs: [Float] = []
    /// Prompt and generated tokens, for the repetition penalty (empty when it is off).
    var seen: Set<Int32> = []
    /// The last sampled token, not yet in the cache.
    var pending: Int32 = 0
    var text: TextState?
    var finishReason: FinishReason?

    /// Incremental decoding and stop-string matching (only with a tokenizer).
    struct TextState {
        var decoder: IncrementalTextDecoder<AnyGenerationTokenizer>
        var matcher: StopStringMatcher
        var output = ""
    }
}
