import Foundation

/// What the pipeline needs from a tokenizer: prompts with BOS, completions with EOS, and decode.
public protocol TextTokenizer: GenerationTokenizer {
    /// Prompt ids; `addSpecialTokens: false` adds no BOS (HF's `add_special_tokens=False`, for
    /// text that already holds its special tokens, such as a rendered chat template).
    func encodePrompt(_ text: String, addSpecialTokens: Bool) -> [Int32]
    /// Completion ids followed by the end-of-sequence token (so the model learns to stop).
    func encodeCompletion(_ text: String) -> [Int32]
}

extension TextTokenizer {
    /// Prompt ids, with the beginning-of-sequence token if the tokenizer uses one.
    public func encodePrompt(_ text: String) -> [Int32] { encodePrompt(text, addSpecialTokens: true) }
}

/// A Hugging Face `tokenizer.json` tokenizer used as a `TextTokenizer`.
public struct HuggingFaceTextTokenizer: TextTokenizer {
    /// The wrapped tokenizer.
    public let tokenizer: Tokenizer
    /// Appended to completions.
    public let endOfSequence: Int32?
    /// Prompts are rendered chat templates that write their own special tokens: encode them without
    /// adding BOS again, as transformers' `apply_chat_template` does.
    public let promptsIncludeSpecialTokens: Bool

    public init(tokenizer: Tokenizer, endOfSequence: Int32?, promptsIncludeSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.endOfSequence = endOfSequence
        self.promptsIncludeSpecialTokens = promptsIncludeSpecialTokens
    }

    public func encodePrompt(_ text: String, addSpecialTokens: Bool) -> [Int32] {
        tokenizer.encode(text, addSpecialTokens: addSpecialTokens && !promptsIncludeSpecialTokens).map { Int32(truncatingIfNeeded: $0) }
    }

    public func encodeCompletion(_ text: String) -> [Int32] {
        tokenizer.encode(text, addSpecialTokens: false).map { Int32(truncatingIfNeeded: $0) } + (endOfSequence.map { [$0] } ?? [])
    }

    public func decode(_ tokens: [Int]) -> String { tokenizer.decode(tokens) }
}
