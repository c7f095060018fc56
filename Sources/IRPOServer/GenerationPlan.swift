import Foundation
import IRPOGeneration

/// A validated request, ready for the engine: prompt ids, stream identities and parameters.
struct GenerationPlan: Sendable {
    var prompts: [[Int32]]
    var promptIDs: [Int]
    var parameters: GenerateParameters
    /// Samples per prompt.
    var n: Int
    var stream: Bool
    var includeUsage: Bool

    /// Prompt tokens, each prompt counted once (as OpenAI counts them).
    var promptTokenCount: Int { prompts.reduce(0) { $0 + $1.count } }
}

/// Checks requests against the model and the server limits and turns them into plans.
///
/// Seeds: a request with `seed` S samples choice `p * n + i` (prompt `p`, sample `i`) from the
/// engine stream `(S, promptID[p], i)`, where `promptID` is the request's `irpo_prompt_id` (an
/// integer, or one per prompt) or else the prompt's position in the request (0 for a single
/// prompt), exactly as `LocalInferenceBackend.complete(prompts:promptIDs:...)` and
/// `Generator.generate` number them. Without a seed, the request gets a server-wide random seed
/// and fresh prompt ids that no other request uses, so its samples are random.
struct RequestValidator: Sendable {
    let model: ServedModel
    let configuration: OpenAIServerConfiguration
    let unseeded: UnseededStreams

    /// Checks `model`.
    /// - Throws: a 404 `model_not_found` error for a model this server does not serve.
    func checkModel(_ sampling: SamplingRequest) throws {
        if let name = sampling.model, name != configuration.modelName {
            throw APIError.modelNotFound("The model '\(name)' does not exist; this server serves '\(configuration.modelName)' (see GET /v1/models)")
        }
    }

    /// Checks the number of prompts of one request against `ServerLimits.maxPromptsPerRequest`
    /// (before any of them is tokenized).
    static func checkPromptCount(_ count: Int) throws {
        guard count <= ServerLimits.maxPromptsPerRequest else {
            throw APIError.invalid("the request has \(count) prompts; this server allows at most \(ServerLimits.maxPromptsPerRequest) per request; split it into several requests",
                                   param: "prompt")
        }
    }

    /// Checks token-id prompts against the vocabulary.
    func checkTokenPrompts(_ lists: [[Int]]) throws -> [[Int32]] {
        try Self.checkPromptCount(lists.count)
        let vocabulary = model.vocabularySize
        return try lists.enumerated().map { index, ids in
            if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                throw APIError.invalid("prompt \(index) has token id \(bad), outside the model's vocabulary 0..<\(vocabulary)", param: "prompt")
            }
            return ids.map { Int32($0) }
        }
    }

    /// Validates the shared fields and builds the plan for `prompts`.
    func plan(_ sampling: SamplingRequest, prompts: [[Int32]], logprobs: Bool) throws -> GenerationPlan {
        try checkModel(sampling)
        guard !prompts.isEmpty else { throw APIError.invalid("'prompt' is empty; send at least one prompt", param: "prompt") }
        if let empty = prompts.firstIndex(where: \.isEmpty) {
            throw APIError.invalid("prompt \(empty) is empty (no tokens); send a non-empty prompt", param: "prompt")
        }
        try Self.checkPromptCount(prompts.count)
        let n = sampling.n ?? 1
        guard n >= 1 else { throw APIError.invalid("n = \(n) is invalid: expected an integer >= 1", param: "n") }
        guard n <= ServerLimits.maxSamplesPerPrompt else {
            throw APIError.invalid("n = \(n) is over this server's limit of \(ServerLimits.maxSamplesPerPrompt) samples per prompt; lower n",
                                   param: "n")
        }
        let (choices, overflow) = prompts.count.multipliedReportingOverflow(by: n)
        guard !overflow, choices <= configuration.maxChoicesPerRequest else {
            throw APIError.invalid("\(prompts.count) prompts x n = \(n) asks for \(overflow ? "too many" : "\(choices)") choices; this server allows at most \(configuration.maxChoicesPerRequest) per request",
                                   param: "n")
        }
        if let value = sampling.presencePenalty, value != 0 {
            throw APIError.invalid("presence_penalty is not supported (got \(value)); use repetition_penalty or send 0", param: "presence_penalty")
        }
        if let value = sampling.frequencyPenalty, value != 0 {
            throw APIError.invalid("frequency_penalty is not supported (got \(value)); use repetition_penalty or send 0", param: "frequency_penalty")
        }
        if let bias = sampling.logitBias, !bias.isEmpty {
            throw APIError.invalid("logit_bias is not supported; remove it from the request", param: "logit_bias")
        }
        var parameters = GenerateParameters()
        parameters.temperature = sampling.temperature ?? 1
        parameters.topP = sampling.topP ?? 1
        let topK = sampling.topK ?? 0
        parameters.topK = topK == -1 ? 0 : topK  // vLLM spells "off" as -1
        parameters.minP = sampling.minP ?? 0
        parameters.repetitionPenalty = sampling.repetitionPenalty ?? 1
        let stop = sampling.stop ?? []
        guard stop.count <= ServerLimits.maxStopSequences else {
            throw APIError.invalid("'stop' has \(stop.count) sequences; this server allows at most \(ServerLimits.maxStopSequences)", param: "stop")
        }
        if let long = stop.firstIndex(where: { $0.utf8.count > ServerLimits.maxStopBytes }) {
            throw APIError.invalid("stop[\(long)] has \(stop[long].utf8.count) bytes; this server allows at most \(ServerLimits.maxStopBytes) per stop sequence",
                                   param: "stop[\(long)]")
        }
        parameters.stop = stop
        parameters.returnLogProbs = logprobs
        parameters.maxNewTokens = try maxTokens(sampling, longestPrompt: prompts.map(\.count).max() ?? 0)
        do {
            try parameters.validate()
        } catch let GenerationError.invalidParameter(key, value, expected) {
            throw APIError.invalid("\(key) = \(value) is invalid: expected \(expected)", param: key)
        }
        let promptIDs: [Int]
        if let seed = sampling.seed {
            parameters.seed = seed
            if let ids = sampling.promptIDs {
                guard ids.count == prompts.count else {
                    throw APIError.invalid("irpo_prompt_id has \(ids.count) ids for \(prompts.count) prompts; send one id per prompt",
                                           param: "irpo_prompt_id")
                }
                promptIDs = ids
            } else {
                promptIDs = Array(prompts.indices)
            }
        } else {
            parameters.seed = unseeded.seed
            promptIDs = unseeded.freshIDs(count: prompts.count)
        }
        return GenerationPlan(prompts: prompts, promptIDs: promptIDs, parameters: parameters, n: n,
                              stream: sampling.stream ?? false, includeUsage: sampling.includeUsage)
    }

    /// `max_tokens` (or `max_completion_tokens`), checked against the context; the server default
    /// lowered to what fits when the request has none.
    private func maxTokens(_ sampling: SamplingRequest, longestPrompt: Int) throws -> Int {
        let context = model.contextLength
        let room = context - longestPrompt
        let key = sampling.maxTokens != nil ? "max_tokens" : "max_completion_tokens"
        guard let requested = sampling.maxTokens ?? sampling.maxCompletionTokens else {
            guard room >= 1 else {
                throw APIError.invalid("the prompt has \(longestPrompt) tokens, which fills the model's context of \(context) tokens; shorten the prompt",
                                       param: "prompt", code: "context_length_exceeded")
            }
            return min(configuration.defaultMaxTokens, room)
        }
        guard requested >= 1 else {
            throw APIError.invalid("\(key) = \(requested) is invalid: expected an integer >= 1", param: key)
        }
        guard requested <= room else {
            // `requested` comes from the client: the sum may not fit in an Int.
            let (total, overflow) = longestPrompt.addingReportingOverflow(requested)
            let asked = overflow ? "more than \(Int.max)" : "\(total)"
            throw APIError.invalid("This model's maximum context length is \(context) tokens; the prompt has \(longestPrompt) tokens and \(key) = \(requested) asks for \(asked); lower \(key) to at most \(max(0, room)) or shorten the prompt",
                                   param: key, code: "context_length_exceeded")
        }
        return requested
    }
}

/// The seed and the prompt-id counter of requests that carry no seed.
/// Unchecked Sendable: `next` is read and written only while holding `lock`.
final class UnseededStreams: @unchecked Sendable {
    /// The seed of every unseeded request (random per server).
    let seed: UInt64
    private let lock = NSLock()
    private var next: Int

    /// Ids start at 2^40, far from dataset row numbers.
    init(seed: UInt64 = UInt64.random(in: .min ... .max)) {
        self.seed = seed
        next = 1 << 40
    }

    /// `count` ids no earlier call returned.
    func freshIDs(count: Int) -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        let first = next
        next += count
        return Array(first..<(first + count))
    }
}
