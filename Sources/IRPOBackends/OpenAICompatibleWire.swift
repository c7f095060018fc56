import Foundation
import IRPOGeneration

/// The JSON bodies `OpenAICompatibleBackend` sends and reads: OpenAI's `/v1/completions` and
/// `/v1/chat/completions` shapes, plus the optional fields vLLM and `irpo serve` add.
enum OpenAICompatibleWire {
    /// One chat message.
    struct Message: Codable, Equatable {
        var role: String
        var content: String?
    }

    /// A request body for either endpoint (`prompt` or `messages` is set).
    struct Request: Encodable, Equatable {
        var model: String
        var prompt: String?
        var messages: [Message]?
        var n: Int
        var temperature: Float
        var topP: Float
        var topK: Int?
        var minP: Float?
        var repetitionPenalty: Float?
        var maxTokens: Int
        var stop: [String]?
        var seed: UInt64
        /// `irpo serve`'s extension: the prompt id keying the sample streams.
        var irpoPromptID: Int?
        /// Completions only: 0 asks for the sampled tokens (which give each choice's token count).
        var logprobs: Int?
        /// Completions only (vLLM and `irpo serve`): `false` when the prompt already holds its
        /// special tokens, so the server adds no second BOS.
        var addSpecialTokens: Bool?

        enum CodingKeys: String, CodingKey {
            case model, prompt, messages, n, temperature, stop, seed
            case topP = "top_p"
            case topK = "top_k"
            case minP = "min_p"
            case repetitionPenalty = "repetition_penalty"
            case maxTokens = "max_tokens"
            case irpoPromptID = "irpo_prompt_id"
            case logprobs
            case addSpecialTokens = "add_special_tokens"
        }
    }

    /// A completion choice's `logprobs`: only the sampled tokens are read.
    struct Logprobs: Decodable {
        var tokens: [String]?
    }

    /// `stop_reason` (vLLM): the stop string matched, a token id, or null for end of sequence.
    enum StopReason: Decodable, Equatable {
        case text(String)
        case token(Int)
        case endOfSequence

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .endOfSequence } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else if let token = try? container.decode(Int.self) { self = .token(token) } else { self = .endOfSequence }
        }
    }

    /// One choice of a response.
    struct Choice: Decodable {
        var index: Int?
        var text: String?
        var message: Message?
        var finishReason: String?
        var stopReason: StopReason?
        /// Extensions some servers send: this choice's generated tokens, and finish reason as the
        /// local engine names it (`eos`, `stop`, `length`).
        var completionTokens: Int?
        var irpoFinishReason: String?
        var logprobs: Logprobs?

        enum CodingKeys: String, CodingKey {
            case index, text, message, logprobs
            case finishReason = "finish_reason"
            case stopReason = "stop_reason"
            case completionTokens = "completion_tokens"
            case irpoFinishReason = "irpo_finish_reason"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            index = try c.decodeIfPresent(Int.self, forKey: .index)
            text = try c.decodeIfPresent(String.self, forKey: .text)
            message = try c.decodeIfPresent(Message.self, forKey: .message)
            finishReason = try c.decodeIfPresent(String.self, forKey: .finishReason)
            // Absent (the server does not say) differs from null (vLLM: ended on EOS).
            stopReason = c.contains(.stopReason) ? try c.decode(StopReason.self, forKey: .stopReason) : nil
            completionTokens = try? c.decodeIfPresent(Int.self, forKey: .completionTokens)
            irpoFinishReason = try? c.decodeIfPresent(String.self, forKey: .irpoFinishReason)
            logprobs = try? c.decodeIfPresent(Logprobs.self, forKey: .logprobs)
        }
    }

    /// Token counts of a response.
    struct Usage: Decodable {
        var completionTokens: Int?
        enum CodingKeys: String, CodingKey { case completionTokens = "completion_tokens" }
    }

    /// A response body.
    struct Response: Decodable {
        var choices: [Choice]
        var usage: Usage?
    }
}

extension OpenAICompatibleWire.Response {
    /// The completions in choice order, `n` of them.
    ///
    /// Token counts: a choice's own `completion_tokens` or `logprobs.tokens` when the server sends
    /// them, else the response's `usage.completion_tokens` split evenly over the choices (exact
    /// for n = 1). Finish reasons: `length` -> `.length`; `stop` -> `.stop` when `stop_reason`
    /// names a stop string, `.eos` when it is null or a token id; without `stop_reason`, `.eos`
    /// unless the request had stop strings (then `.stop`: OpenAI's answer does not tell them apart).
    /// - Throws: `BackendError` when the count or a choice is malformed.
    func completions(expected n: Int, chat: Bool, hadStopStrings: Bool = false) throws -> [BackendCompletion] {
        guard choices.count == n else {
            throw BackendError("the server returned \(choices.count) choices for n = \(n); use a server that supports n (vLLM, SGLang, irpo serve) or set samples_per_question to 1")
        }
        let indices = choices.map { $0.index }
        let ordered: [OpenAICompatibleWire.Choice]
        if indices.allSatisfy({ $0 != nil }), Set(indices.compactMap { $0 }) == Set(0..<n) {
            ordered = choices.sorted { ($0.index ?? 0) < ($1.index ?? 0) }
        } else {
            ordered = choices
        }
        let total = usage?.completionTokens ?? 0
        return try ordered.enumerated().map { position, choice in
            let text: String
            if chat {
                guard let content = choice.message?.content else {
                    throw BackendError("choice \(position) of the chat response has no message.content; check the server speaks OpenAI's /v1/chat/completions")
                }
                text = content
            } else {
                guard let value = choice.text else {
                    throw BackendError("choice \(position) of the response has no text; check the server speaks OpenAI's /v1/completions")
                }
                text = value
            }
            let share = total / n + (position < total % n ? 1 : 0)
            return BackendCompletion(text: text, tokenCount: choice.completionTokens ?? choice.logprobs?.tokens?.count ?? share,
                                     finishReason: Self.finishReason(choice, hadStopStrings: hadStopStrings))
        }
    }

    static func finishReason(_ choice: OpenAICompatibleWire.Choice, hadStopStrings: Bool) -> FinishReason {
        if let local = choice.irpoFinishReason.flatMap(FinishReason.init(rawValue:)) { return local }
        switch choice.finishReason {
        case "length": return .length
        case "stop":
            switch choice.stopReason {
            case .text: return .stop
            case .token, .endOfSequence: return .eos
            case nil: return hadStopStrings ? .stop : .eos
            }
        default: return .eos
        }
    }
}
