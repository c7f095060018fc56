import Foundation
import IRPOGeneration

/// OpenAI's response shapes, encoded with explicit `null`s where OpenAI sends them.
enum WireFormat {
    /// `usage`.
    struct Usage: Encodable, Equatable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int { promptTokens + completionTokens }

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(promptTokens, forKey: .promptTokens)
            try c.encode(completionTokens, forKey: .completionTokens)
            try c.encode(totalTokens, forKey: .totalTokens)
        }
    }

    /// `logprobs` of a `/v1/completions` choice (only the sampled tokens; `top_logprobs` is null).
    struct CompletionLogprobs: Encodable, Equatable {
        var tokens: [String]
        var tokenLogprobs: [Float]
        var textOffset: [Int]

        enum CodingKeys: String, CodingKey {
            case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(tokens, forKey: .tokens)
            try c.encode(tokenLogprobs, forKey: .tokenLogprobs)
            try c.encodeNil(forKey: .topLogprobs)
            try c.encode(textOffset, forKey: .textOffset)
        }
    }

    /// `logprobs` of a chat choice.
    struct ChatLogprobs: Encodable, Equatable {
        struct Entry: Encodable, Equatable {
            var token: String
            var logprob: Float
            var bytes: [UInt8]
            var topLogprobs: [String] = []
            enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
        }
        var content: [Entry]
    }

    /// A choice of a `text_completion` (full or a streamed chunk).
    struct CompletionChoice: Encodable {
        var index: Int
        var text: String
        var logprobs: CompletionLogprobs?
        var finishReason: String?

        enum CodingKeys: String, CodingKey { case index, text, logprobs, finishReason = "finish_reason" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(text, forKey: .text)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
        }
    }

    /// The envelope of every completion answer and stream chunk: `id`, `object`, `created`, `model`,
    /// `choices`, `system_fingerprint` (null) and `usage`.
    struct Envelope<Choice: Encodable>: Encodable {
        var id: String
        var object: String
        var created: Int
        var model: String
        var choices: [Choice]
        var usage: Usage?

        enum CodingKeys: String, CodingKey { case id, object, created, model, choices, usage, systemFingerprint = "system_fingerprint" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(object, forKey: .object)
            try c.encode(created, forKey: .created)
            try c.encode(model, forKey: .model)
            try c.encode(choices, forKey: .choices)
            try c.encodeNil(forKey: .systemFingerprint)
            try c.encode(usage, forKey: .usage)
        }
    }

    /// `/v1/completions` answer and its stream chunks (`object` "text_completion" for both).
    typealias Completion = Envelope<CompletionChoice>

    /// The assistant message of a chat choice, or the delta of a chunk.
    struct Message: Encodable {
        var role: String?
        var content: String?
    }

    /// A chat choice (full: `message`; chunk: `delta`).
    struct ChatChoice: Encodable {
        var index: Int
        var message: Message?
        var delta: Message?
        var logprobs: ChatLogprobs?
        var finishReason: String?

        enum CodingKeys: String, CodingKey { case index, message, delta, logprobs, finishReason = "finish_reason" }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encodeIfPresent(message, forKey: .message)
            try c.encodeIfPresent(delta, forKey: .delta)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finishReason, forKey: .finishReason)
        }
    }

    /// `/v1/chat/completions` answer (`chat.completion`) or chunk (`chat.completion.chunk`).
    typealias ChatCompletion = Envelope<ChatChoice>

    /// `GET /v1/models`.
    struct ModelList: Encodable {
        struct Model: Encodable {
            var id: String
            var object = "model"
            var created: Int
            var ownedBy = "irpo"
            var maxModelLength: Int
            enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by", maxModelLength = "max_model_len" }
        }
        var object = "list"
        var data: [Model]
    }

    /// OpenAI's finish reason: `stop` for EOS and stop strings, `length` otherwise.
    static func finishReason(_ reason: FinishReason) -> String {
        reason == .length ? "length" : "stop"
    }

    /// JSON bytes of `value` (sorted keys are not needed; compact output).
    static func encode<Value: Encodable>(_ value: Value) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
