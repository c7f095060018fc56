/// Decodes ids that arrive one at a time (generation), emitting text only once it is complete: a
/// character whose bytes are split over several tokens appears when its last byte arrives, and
/// context-dependent decoders (SentencePiece's leading-space strip) see the previous tokens.
///
/// The text of all `push` results joined (plus `finish()`) equals `decode` of all ids.
public struct StreamingDecoder {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var ids: [Int] = []
    /// Ids before `prefixOffset` are settled; `prefixOffset..<readOffset` is context already emitted.
    private var prefixOffset = 0
    private var readOffset = 0

    init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one id; returns the new complete text (possibly empty). Throws for an id the vocabulary lacks.
    public mutating func push(_ id: Int) throws -> String {
        _ = try tokenizer.tokens(for: [id])
        ids.append(id)
        let prefix = try tokenizer.decode(Array(ids[prefixOffset..<readOffset]), skipSpecialTokens: skipSpecialTokens)
        let full = try tokenizer.decode(Array(ids[prefixOffset...]), skipSpecialTokens: skipSpecialTokens)
        guard full.utf8.count > prefix.utf8.count, full.utf8.starts(with: prefix.utf8),
              full.unicodeScalars.last != "\u{FFFD}" else {
            return ""
        }
        let text = String(decoding: full.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
        prefixOffset = readOffset
        readOffset = ids.count
        return text
    }

    /// The text still held back (an incomplete character at the end of the ids, as U+FFFD).
    public mutating func finish() throws -> String {
        let prefix = try tokenizer.decode(Array(ids[prefixOffset..<readOffset]), skipSpecialTokens: skipSpecialTokens)
        let full = try tokenizer.decode(Array(ids[prefixOffset...]), skipSpecialTokens: skipSpecialTokens)
        prefixOffset = readOffset
        readOffset = ids.count
        guard full.utf8.count > prefix.utf8.count, full.utf8.starts(with: prefix.utf8) else { return "" }
        return String(decoding: full.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }
}
