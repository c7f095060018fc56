/// A field of a data row: text (tokenised by the caller) or token ids.
public enum TextOrTokens: Sendable, Equatable {
    /// Text, to be tokenised by the CLI layer (this module has no tokenizer).
    case text(String)
    /// Token ids as given in a `*_ids` field.
    case tokens([Int32])

    /// Whether the field holds nothing (empty text or no ids).
    public var isEmpty: Bool {
        switch self {
        case let .text(text): return text.isEmpty
        case let .tokens(tokens): return tokens.isEmpty
        }
    }
}

/// One row of a training data file in TRL's formats: a preference pair (`prompt`, `chosen`,
/// `rejected`) or an SFT row (`prompt`, `completion`), each field as text or as a `*_ids`
/// array. Other keys (question id, rewards, token counts) are ignored.
public struct PreferenceRecord: Sendable, Equatable {
    /// 1-based line of the row in its file.
    public var line: Int
    /// The prompt x (conditioned on, never scored).
    public var prompt: TextOrTokens
    /// The winner w (`chosen`), or the completion of an SFT row.
    public var chosen: TextOrTokens
    /// The loser l (`rejected`); nil for SFT rows.
    public var rejected: TextOrTokens?

    /// Memberwise init.
    public init(line: Int, prompt: TextOrTokens, chosen: TextOrTokens, rejected: TextOrTokens?) {
        self.line = line
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// A tokenised training example: prompt, winner and (for pairs) loser token ids.
public struct TrainingExample: Sendable, Equatable, Codable {
    /// 1-based line of the row in its file (for messages).
    public var line: Int
    /// Prompt token ids (non-empty; conditioned on, never scored).
    public var prompt: [Int32]
    /// Winner / completion token ids (non-empty; scored).
    public var chosen: [Int32]
    /// Loser token ids (non-empty; scored); nil for SFT examples.
    public var rejected: [Int32]?

    /// Memberwise init.
    public init(line: Int, prompt: [Int32], chosen: [Int32], rejected: [Int32]?) {
        self.line = line
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }

    /// Length of prompt + winner.
    public var chosenLength: Int { prompt.count + chosen.count }
    /// Length of prompt + loser (0 for SFT examples).
    public var rejectedLength: Int { rejected.map { prompt.count + $0.count } ?? 0 }
    /// The longer of the two sequences.
    public var maxLength: Int { max(chosenLength, rejectedLength) }

    /// The winner's full sequence, scored from the end of the prompt.
    public var chosenSequence: ScoredSequence { ScoredSequence(tokens: prompt + chosen, scoredFrom: prompt.count) }

    /// The loser's full sequence; nil for SFT examples.
    public var rejectedSequence: ScoredSequence? {
        rejected.map { ScoredSequence(tokens: prompt + $0, scoredFrom: prompt.count) }
    }
}
