import Foundation

/// Sampling and stopping settings for one generation request.
///
/// Every field has a default, so `GenerateParameters()` is plain sampling at temperature 1 for
/// up to 256 tokens. JSON keys are snake_case (`top_p`, `max_new_tokens`, ...) and every key is
/// optional. Filters are applied in transformers' order: repetition penalty, temperature,
/// top-k, top-p, min-p.
public struct GenerateParameters: Codable, Equatable, Sendable {
    /// Softmax temperature; `0` means greedy decoding (argmax, lowest id on ties).
    public var temperature: Float
    /// Nucleus sampling: keep the smallest set of most likely tokens whose probability reaches
    /// `topP`; `1` disables it.
    public var topP: Float
    /// Keep only the `topK` most likely tokens; `0` disables it.
    public var topK: Int
    /// Keep only tokens whose probability is at least `minP` times the largest probability;
    /// `0` disables it.
    public var minP: Float
    /// CTRL-style penalty on tokens already present in the prompt or the completion
    /// (positive logits divided by it, negative ones multiplied); `1` disables it.
    public var repetitionPenalty: Float
    /// The most tokens generated per sample.
    public var maxNewTokens: Int
    /// Strings that end a sample; the returned text stops before the first one found.
    public var stop: [String]
    /// Seed of the sampling streams; sample `j` of prompt `i` draws from a stream derived only
    /// from `(seed, i, j)`.
    public var seed: UInt64
    /// Whether results carry the log-probability of each sampled token.
    public var returnLogProbs: Bool

    /// Creates parameters; every argument is optional.
    public init(
        temperature: Float = 1,
        topP: Float = 1,
        topK: Int = 0,
        minP: Float = 0,
        repetitionPenalty: Float = 1,
        maxNewTokens: Int = 256,
        stop: [String] = [],
        seed: UInt64 = 0,
        returnLogProbs: Bool = false
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.maxNewTokens = maxNewTokens
        self.stop = stop
        self.seed = seed
        self.returnLogProbs = returnLogProbs
    }

    /// Greedy decoding for `maxNewTokens` tokens.
    public static func greedy(maxNewTokens: Int = 256) -> GenerateParameters {
        GenerateParameters(temperature: 0, maxNewTokens: maxNewTokens)
    }

    /// Whether sampling is greedy (`temperature == 0`).
    public var isGreedy: Bool { temperature == 0 }

    /// Checks every field.
    ///
    /// - Throws: `GenerationError.invalidParameter` naming the key, the value and the valid range.
    public func validate() throws {
        func fail(_ key: String, _ value: Any, _ range: String) -> GenerationError {
            .invalidParameter(key: key, value: "\(value)", expected: range)
        }
        guard temperature.isFinite, temperature >= 0 else { throw fail("temperature", temperature, "a number >= 0 (0 = greedy)") }
        guard topP.isFinite, topP > 0, topP <= 1 else { throw fail("top_p", topP, "a number in (0, 1]") }
        guard topK >= 0 else { throw fail("top_k", topK, "an integer >= 0 (0 = off)") }
        guard minP.isFinite, minP >= 0, minP <= 1 else { throw fail("min_p", minP, "a number in [0, 1]") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw fail("repetition_penalty", repetitionPenalty, "a number > 0 (1 = off)")
        }
        guard maxNewTokens >= 0 else { throw fail("max_new_tokens", maxNewTokens, "an integer >= 0") }
        if let empty = stop.firstIndex(where: \.isEmpty) {
            throw fail("stop[\(empty)]", "\"\"", "a non-empty string")
        }
    }

    enum CodingKeys: String, CodingKey {
        case temperature
        case topP = "top_p"
        case topK = "top_k"
        case minP = "min_p"
        case repetitionPenalty = "repetition_penalty"
        case maxNewTokens = "max_new_tokens"
        case stop
        case seed
        case returnLogProbs = "return_log_probs"
    }

    /// Decodes parameters; missing keys take the defaults of `init()`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GenerateParameters()
        temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? d.temperature
        topP = try c.decodeIfPresent(Float.self, forKey: .topP) ?? d.topP
        topK = try c.decodeIfPresent(Int.self, forKey: .topK) ?? d.topK
        minP = try c.decodeIfPresent(Float.self, forKey: .minP) ?? d.minP
        repetitionPenalty = try c.decodeIfPresent(Float.self, forKey: .repetitionPenalty) ?? d.repetitionPenalty
        maxNewTokens = try c.decodeIfPresent(Int.self, forKey: .maxNewTokens) ?? d.maxNewTokens
        // OpenAI allows `stop` to be a single string or a list.
        if let single = try? c.decodeIfPresent(String.self, forKey: .stop) {
            stop = [single]
        } else {
            stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? d.stop
        }
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        returnLogProbs = try c.decodeIfPresent(Bool.self, forKey: .returnLogProbs) ?? d.returnLogProbs
    }
}
