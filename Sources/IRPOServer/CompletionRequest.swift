/// The body of `POST /v1/completions`.
struct CompletionRequest: Decodable {
    /// The prompt(s) as given.
    enum Prompt: Equatable {
        case texts([String])
        case tokenLists([[Int]])
    }

    var prompt: Prompt
    var sampling: SamplingRequest
    /// OpenAI's `logprobs` (an integer 0...5); only the sampled token's log-probability is
    /// returned, so any value turns them on.
    var logprobs: Int?
    var echo: Bool?
    var suffix: String?
    var bestOf: Int?
    /// vLLM's extension: `false` encodes text prompts without BOS (they hold their own special
    /// tokens, e.g. a rendered chat template). Default `true`.
    var addSpecialTokens: Bool

    enum CodingKeys: String, CodingKey {
        case prompt, logprobs, echo, suffix
        case bestOf = "best_of"
        case addSpecialTokens = "add_special_tokens"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.prompt) else {
            throw APIError.invalid("missing required parameter 'prompt'", param: "prompt")
        }
        if let text = try? c.decode(String.self, forKey: .prompt) {
            prompt = .texts([text])
        } else if let texts = try? c.decode([String].self, forKey: .prompt) {
            prompt = .texts(texts)
        } else if let ids = try? c.decode([Int].self, forKey: .prompt) {
            prompt = .tokenLists([ids])
        } else if let lists = try? c.decode([[Int]].self, forKey: .prompt) {
            prompt = .tokenLists(lists)
        } else {
            throw APIError.invalid("'prompt' must be a string, an array of strings, an array of token ids or an array of token id arrays",
                                   param: "prompt")
        }
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo)
        suffix = try c.decodeIfPresent(String.self, forKey: .suffix)
        bestOf = try c.decodeIfPresent(Int.self, forKey: .bestOf)
        do {
            addSpecialTokens = try c.decodeIfPresent(Bool.self, forKey: .addSpecialTokens) ?? true
        } catch {
            throw APIError.invalid("'add_special_tokens' must be true or false", param: "add_special_tokens")
        }
        sampling = try SamplingRequest(from: decoder)
    }
}
