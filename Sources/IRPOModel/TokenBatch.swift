/// A batch of token sequences of different lengths and which positions are scored.
///
/// `scoreMasks[b][t] == true` means the log-probability of token `t` given tokens `< t` is
/// scored (counted in the sequence's sum); position 0 has no prediction and must be false.
public struct TokenBatch: Sendable, Equatable {
    /// Token ids per sequence (unpadded).
    public var sequences: [[Int32]]
    /// One flag per token: score this token's log-prob.
    public var scoreMasks: [[Bool]]

    /// A batch with explicit masks (checked by the model on use).
    public init(sequences: [[Int32]], scoreMasks: [[Bool]]) {
        self.sequences = sequences
        self.scoreMasks = scoreMasks
    }

    /// Prompt + completion pairs: each sequence is `prompt + completion` and exactly the
    /// completion tokens are scored. With an empty prompt the first completion token has no
    /// prediction and is not scored.
    public init(prompts: [[Int32]], completions: [[Int32]]) {
        precondition(prompts.count == completions.count, "TokenBatch: prompts and completions must pair up")
        sequences = zip(prompts, completions).map { $0 + $1 }
        scoreMasks = zip(prompts, completions).map { prompt, completion in
            var mask = [Bool](repeating: false, count: prompt.count) + [Bool](repeating: true, count: completion.count)
            if !mask.isEmpty { mask[0] = false }
            return mask
        }
    }

    /// Every token after the first is scored (language-model training on whole sequences).
    public init(sequences: [[Int32]]) {
        self.sequences = sequences
        scoreMasks = sequences.map { sequence in sequence.indices.map { $0 > 0 } }
    }

    /// Number of sequences (B).
    public var count: Int { sequences.count }
    /// The longest sequence (S, the padded length).
    public var maxLength: Int { sequences.map(\.count).max() ?? 0 }
    /// Total scored tokens.
    public var scoredTokenCount: Int { scoreMasks.reduce(0) { $0 + $1.lazy.filter { $0 }.count } }

    /// Checks shapes and id ranges against a vocabulary.
    /// - Throws: `ModelError.invalidInput` naming the sequence and position at fault.
    public func validate(vocabularySize: Int) throws {
        guard !sequences.isEmpty else { throw ModelError.invalidInput("the batch is empty; pass at least one sequence") }
        guard scoreMasks.count == sequences.count else {
            throw ModelError.invalidInput("the batch has \(sequences.count) sequences but \(scoreMasks.count) score masks")
        }
        for (b, sequence) in sequences.enumerated() {
            guard !sequence.isEmpty else { throw ModelError.invalidInput("sequence \(b) is empty; every sequence needs at least one token") }
            guard scoreMasks[b].count == sequence.count else {
                throw ModelError.invalidInput("sequence \(b) has \(sequence.count) tokens but its score mask has \(scoreMasks[b].count) entries")
            }
            if scoreMasks[b][0] {
                throw ModelError.invalidInput("sequence \(b): position 0 is marked as scored, but the first token has no prediction; clear it")
            }
            if let t = sequence.firstIndex(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw ModelError.invalidInput("sequence \(b), position \(t): token id \(sequence[t]) is outside the vocabulary 0..<\(vocabularySize); check the tokenizer matches the model")
            }
        }
    }
}
