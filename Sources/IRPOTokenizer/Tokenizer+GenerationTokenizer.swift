extension Tokenizer: GenerationTokenizer {
    /// Decodes generated ids, skipping special tokens. Ids the vocabulary lacks (possible when a
    /// model's embedding matrix is padded beyond the tokenizer) decode to U+FFFD instead of
    /// failing the whole sample.
    public func decode(_ tokens: [Int]) -> String {
        if let text = try? decode(tokens, skipSpecialTokens: true) { return text }
        return tokens.map { (try? decode([$0], skipSpecialTokens: true)) ?? "\u{FFFD}" }.joined()
    }
}
