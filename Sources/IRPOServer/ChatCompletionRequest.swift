import IRPOTokenizer

/// The body of `POST /v1/chat/completions`.
struct ChatCompletionRequest: Decodable {
    var messages: [ChatMessage]
    var sampling: SamplingRequest
    /// Whether to return the sampled tokens' log-probabilities.
    var logprobs: Bool?
    var topLogprobs: Int?

    enum CodingKeys: String, CodingKey {
        case messages, logprobs
        case topLogprobs = "top_logprobs"
    }

    /// One message; `content` is a string or an array of `{"type": "text", "text": ...}` parts.
    struct Message: Decodable {
        var role: String
        var content: String

        enum CodingKeys: String, CodingKey { case role, content }
        struct Part: Decodable {
            var type: String
            var text: String?
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            role = try c.decode(String.self, forKey: .role)
            if let text = try? c.decode(String.self, forKey: .content) {
                content = text
            } else if let parts = try? c.decode([Part].self, forKey: .content) {
                var text = ""
                for part in parts {
                    guard part.type == "text", let piece = part.text else {
                        throw APIError.invalid("message content part of type '\(part.type)' is not supported; send text parts only",
                                               param: "messages")
                    }
                    text += piece
                }
                content = text
            } else if try c.decodeNil(forKey: .content) {
                content = ""
            } else {
                throw APIError.invalid("message 'content' must be a string or an array of text parts", param: "messages")
            }
        }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.messages) else {
            throw APIError.invalid("missing required parameter 'messages'", param: "messages")
        }
        messages = try c.decode([Message].self, forKey: .messages).map { ChatMessage(role: $0.role, content: $0.content) }
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
        sampling = try SamplingRequest(from: decoder)
    }
}
