/// An entry of tokenizer.json's `added_tokens` (or a GGUF control/user-defined token): matched in the
/// text before the model runs.
public struct AddedToken: Sendable, Equatable {
    /// The token's id.
    public let id: Int
    /// The token's text.
    public let content: String
    /// Only match when not inside a word (the characters around it are not alphanumeric or `_`).
    public let singleWord: Bool
    /// Also consume the whitespace on the left of the match.
    public let leftStrip: Bool
    /// Also consume the whitespace on the right of the match.
    public let rightStrip: Bool
    /// Match in the normalized text (content normalized too) instead of the raw text.
    public let normalized: Bool
    /// A special token: skipped by `decode(_:skipSpecialTokens: true)`.
    public let special: Bool

    /// Creates an added token.
    public init(id: Int, content: String, singleWord: Bool = false, leftStrip: Bool = false,
                rightStrip: Bool = false, normalized: Bool = false, special: Bool = true) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
        self.special = special
    }
}
