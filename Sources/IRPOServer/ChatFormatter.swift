import IRPOTokenizer

/// Turns chat messages into prompt token ids for `/v1/chat/completions`.
public enum ChatFormatter: Sendable {
    /// The model's own chat template (tokenizer_config.json or GGUF metadata), rendered with the
    /// generation prompt; the template writes the special tokens, so the text is encoded without
    /// adding BOS again (as transformers' `apply_chat_template`).
    case template(Tokenizer)
    /// For tokenizers without a chat template (e.g. the demo's character vocabulary): one line
    /// `role: content` per message, then `assistant:`, encoded with `encodePrompt`.
    case plain(any TextTokenizer)

    /// The prompt for `messages`.
    /// - Throws: `ChatTemplateError` / `TokenizerError` when the template cannot be rendered.
    public func promptTokens(for messages: [ChatMessage]) throws -> [Int32] {
        switch self {
        case let .template(tokenizer):
            let text = try tokenizer.applyChatTemplate(messages, addGenerationPrompt: true)
            return tokenizer.encode(text, addSpecialTokens: false).map { Int32(truncatingIfNeeded: $0) }
        case let .plain(tokenizer):
            return tokenizer.encodePrompt(Self.plainText(messages))
        }
    }

    /// The text of the `plain` format.
    static func plainText(_ messages: [ChatMessage]) -> String {
        messages.map { "\($0.role): \($0.content)\n" }.joined() + "assistant:"
    }
}
