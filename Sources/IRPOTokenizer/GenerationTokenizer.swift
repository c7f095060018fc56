/// What generation needs from a tokenizer: turning token ids back into text.
///
/// `Tokenizer` conforms (skipping special tokens), and so does every `TextTokenizer`; tests use
/// small fakes.
public protocol GenerationTokenizer: Sendable {
    /// The text of `tokens`, skipping special tokens (BOS/EOS/chat markers). Incomplete UTF-8 at
    /// the end (a byte-fallback token cut mid-character) may decode to U+FFFD; the incremental
    /// decoder waits for more tokens in that case.
    func decode(_ tokens: [Int]) -> String
}
