import Foundation
import IRPOFormats

/// A character-level vocabulary for the built-in demo: `<pad>`, `<bos>`, `<eos>`, newline and
/// printable ASCII. Characters outside the vocabulary encode as "?".
///
/// Saved next to the model as `irpo_char_vocab.json` (`{"format": "irpo-char-v1", "tokens": [...]}`)
/// so a trained model folder reloads with its tokenizer.
public struct CharacterTokenizer: TextTokenizer, Equatable {
    /// The file name inside a model folder.
    public static let fileName = "irpo_char_vocab.json"
    static let formatTag = "irpo-char-v1"

    /// Token strings by id; ids 0, 1, 2 are `<pad>`, `<bos>`, `<eos>`.
    public let tokens: [String]
    private let ids: [Character: Int32]
    /// Beginning of sequence.
    public let bos: Int32 = 1
    /// End of sequence.
    public let eos: Int32 = 2
    private let unknown: Int32

    /// The standard vocabulary (99 tokens).
    public init() {
        var tokens = ["<pad>", "<bos>", "<eos>", "\n"]
        for scalar in 32...126 { tokens.append(String(UnicodeScalar(UInt8(scalar)))) }
        self.init(tokens: tokens)
    }

    init(tokens: [String]) {
        self.tokens = tokens
        var ids: [Character: Int32] = [:]
        for (index, token) in tokens.enumerated().dropFirst(3) where token.count == 1 {
            ids[Character(token)] = Int32(index)
        }
        self.ids = ids
        self.unknown = ids["?"] ?? 0
    }

    /// Reads a vocabulary file.
    public init(contentsOf url: URL) throws {
        struct File: Decodable { var format: String; var tokens: [String] }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url)) } catch {
            throw TokenizerError(file: url.path, "not a character vocabulary (\(error)); delete it or re-create the model with `irpo demo`")
        }
        guard file.format == Self.formatTag, file.tokens.count >= 4, Array(file.tokens.prefix(3)) == ["<pad>", "<bos>", "<eos>"] else {
            throw TokenizerError(file: url.path, "format \(file.format) or special tokens this version does not read; expected \(Self.formatTag)")
        }
        self.init(tokens: file.tokens)
    }

    /// Number of tokens.
    public var vocabularySize: Int { tokens.count }

    /// Writes `irpo_char_vocab.json` into `folder`.
    public func save(inFolder folder: URL) throws {
        struct File: Encodable { var format: String; var tokens: [String] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write(encoder.encode(File(format: Self.formatTag, tokens: tokens)),
                                   to: folder.appendingPathComponent(Self.fileName))
    }

    /// The vocabulary as GGUF `tokenizer.*` metadata: a byte-level BPE (`gpt2`) vocabulary
    /// with the same ids and no merges, so every character is one token as here; `<pad>`,
    /// `<bos>` and `<eos>` are control tokens and BOS is added to prompts. Lets a demo model be
    /// exported to GGUF and read back (by irpo or llama.cpp) with its tokenizer.
    public func ggufMetadata() -> [(key: String, value: GGUFValue)] {
        // GPT-2's byte-level alphabet spells space and newline as U+0120 and U+010A; the other
        // printable ASCII characters stand for themselves.
        func spelled(_ token: String) -> String {
            token == " " ? "\u{0120}" : token == "\n" ? "\u{010A}" : token
        }
        return [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("default")),
            ("tokenizer.ggml.tokens", .array(tokens.map { .string(spelled($0)) })),
            ("tokenizer.ggml.token_type", .array(tokens.indices.map { .int32($0 < 3 ? 3 : 1) })),
            ("tokenizer.ggml.merges", .array([])),
            ("tokenizer.ggml.bos_token_id", .uint32(UInt32(bos))),
            ("tokenizer.ggml.eos_token_id", .uint32(UInt32(eos))),
            ("tokenizer.ggml.padding_token_id", .uint32(0)),
            ("tokenizer.ggml.add_bos_token", .bool(true)),
        ]
    }

    /// The ids of `text` (no special tokens).
    public func encode(_ text: String) -> [Int32] { text.map { ids[$0] ?? unknown } }

    public func encodePrompt(_ text: String, addSpecialTokens: Bool) -> [Int32] {
        addSpecialTokens ? [bos] + encode(text) : encode(text)
    }

    public func encodeCompletion(_ text: String) -> [Int32] { encode(text) + [eos] }

    public func decode(_ tokens: [Int]) -> String {
        var text = ""
        for id in tokens where id > 2 && id < self.tokens.count { text += self.tokens[id] }
        return text
    }
}
