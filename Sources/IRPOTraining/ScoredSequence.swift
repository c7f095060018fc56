/// A token sequence whose tokens at positions `scoredFrom...` are scored: the model adds
/// log p(token[t] | token[..<t]) for t >= scoredFrom to the sequence's log-prob. Position 0 is
/// never scored (`scoredFrom >= 1`).
public struct ScoredSequence: Sendable, Equatable {
    /// Token ids (prompt followed by completion).
    public var tokens: [Int32]
    /// First scored position (the prompt length).
    public var scoredFrom: Int

    /// Memberwise init; needs 1 <= scoredFrom < tokens.count.
    public init(tokens: [Int32], scoredFrom: Int) {
        precondition(scoredFrom >= 1 && scoredFrom < tokens.count, "ScoredSequence needs 1 <= scoredFrom < tokens.count")
        self.tokens = tokens
        self.scoredFrom = scoredFrom
    }

    /// Number of scored tokens.
    public var scoredCount: Int { tokens.count - scoredFrom }

    /// The score mask: 1 at scored positions, else 0.
    public var scoreMask: [Float] { (0..<tokens.count).map { $0 >= scoredFrom ? 1 : 0 } }
}
