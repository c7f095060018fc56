import IRPOTokenizer
/// Turns a growing list of token ids into text pieces, one call per token.
///
/// Uses the prefix-window method of transformers' `TextStreamer` and text-generation-inference:
/// the new piece is `decode(tokens[prefix...])` minus `decode(tokens[prefix..<read])`, so
/// tokenizers whose decoding of a token depends on its neighbours (SentencePiece's leading space,
/// byte fallback spanning tokens) stream exactly the text a full decode gives. A piece ending in
/// an incomplete character (U+FFFD) is held back until the next token completes it.
public struct IncrementalTextDecoder<Tokenizer: GenerationTokenizer> {
    /// The tokenizer used for decoding.
    public let tokenizer: Tokenizer
    /// Every token appended so far.
    public private(set) var tokens: [Int] = []
    private var prefixOffset = 0
    private var readOffset = 0

    /// A decoder with no tokens.
    public init(tokenizer: Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Appends `token` and returns the text it completes (possibly empty).
    public mutating func append(_ token: Int) -> String {
        tokens.append(token)
        let prefixText = tokenizer.decode(Array(tokens[prefixOffset..<readOffset]))
        let fullText = tokenizer.decode(Array(tokens[prefixOffset...]))
        if fullText.utf8.count > prefixText.utf8.count && !fullText.hasSuffix("\u{FFFD}") {
            prefixOffset = readOffset
            readOffset = tokens.count
            return Self.difference(fullText, minus: prefixText)
        }
        return ""
    }

    /// The text still held back (an incomplete character at the end), released when generation
    /// ends.
    public mutating func flush() -> String {
        let prefixText = tokenizer.decode(Array(tokens[prefixOffset..<readOffset]))
        let fullText = tokenizer.decode(Array(tokens[prefixOffset...]))
        prefixOffset = tokens.count
        readOffset = tokens.count
        return fullText.utf8.count > prefixText.utf8.count ? Self.difference(fullText, minus: prefixText) : ""
    }

    /// `full` without its leading `prefix` (by bytes when `prefix` is a byte prefix, else by
    /// Unicode scalars).
    static func difference(_ full: String, minus prefix: String) -> String {
        if full.utf8.starts(with: prefix.utf8) {
            return String(decoding: full.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: full.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
        return String(scalars)
    }
}
