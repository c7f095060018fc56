/// The request fields `/v1/completions` and `/v1/chat/completions` share: model, `n`, sampling,
/// stopping, seed and streaming (OpenAI's names; `top_k`, `min_p`, `repetition_penalty` and
/// `irpo_prompt_id` are extensions).
struct SamplingRequest: Decodable {
    var model: String?
    var n: Int?
    var temperature: Float?
    var topP: Float?
    var topK: Int?
    var minP: Float?
    var repetitionPenalty: Float?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var stop: [String]?
    /// The seed as its 64-bit pattern (negative JSON seeds map to their two's complement).
    var seed: UInt64?
    var stream: Bool?
    var includeUsage: Bool
    /// Stream identities of the prompts (see `OpenAIServer`'s reproducibility contract).
    var promptIDs: [Int]?
    var presencePenalty: Float?
    var frequencyPenalty: Float?
    var logitBias: [String: Float]?

    enum CodingKeys: String, CodingKey {
        case model, n, temperature, stop, seed, stream
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case repetitionPenalty = "repetition_penalty"
        case maxTokens = "max_tokens"
        case maxCompletionTokens = "max_completion_tokens"
        case streamOptions = "stream_options"
        case promptID = "irpo_prompt_id"
        case presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
        case logitBias = "logit_bias"
    }

    struct StreamOptions: Decodable {
        var includeUsage: Bool?
        enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Float.self, forKey: .topP)
        topK = try c.decodeIfPresent(Int.self, forKey: .topK)
        minP = try c.decodeIfPresent(Float.self, forKey: .minP)
        repetitionPenalty = try c.decodeIfPresent(Float.self, forKey: .repetitionPenalty)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try c.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        if let single = try? c.decodeIfPresent(String.self, forKey: .stop) {
            stop = [single]
        } else {
            stop = try c.decodeIfPresent([String].self, forKey: .stop)
        }
        if let unsigned = try? c.decodeIfPresent(UInt64.self, forKey: .seed) {
            seed = unsigned
        } else {
            seed = try c.decodeIfPresent(Int64.self, forKey: .seed).map { UInt64(bitPattern: $0) }
        }
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        includeUsage = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)?.includeUsage ?? false
        if let single = try? c.decodeIfPresent(Int.self, forKey: .promptID) {
            promptIDs = [single]
        } else {
            promptIDs = try c.decodeIfPresent([Int].self, forKey: .promptID)
        }
        presencePenalty = try c.decodeIfPresent(Float.self, forKey: .presencePenalty)
        frequencyPenalty = try c.decodeIfPresent(Float.self, forKey: .frequencyPenalty)
        logitBias = try c.decodeIfPresent([String: Float].self, forKey: .logitBias)
    }
}
