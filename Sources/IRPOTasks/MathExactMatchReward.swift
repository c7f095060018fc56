/// Exact-match reward for MATH: the extracted answer and the gold answer are equal after
/// `LatexAnswer.normalize` (or numerically equal as plain numbers/fractions).
public struct MathExactMatchReward: RewardFunction, Hashable, Codable {
    /// The registry name.
    public var name: String
    /// How the answer is found (default: "Final answer:", then the last `\boxed{}`).
    public var extractor: AnswerExtractor

    /// Creates the reward.
    public init(name: String = "math", extractor: AnswerExtractor = AnswerExtractor(fallbacks: [.boxed])) {
        self.name = name
        self.extractor = extractor
    }

    /// Scores `completion` against `item.goldAnswer` (a LaTeX expression).
    public func score(completion: String, item: TaskItem) -> RewardResult {
        guard let answer = extractor.extract(from: completion) else { return .noAnswer }
        let normalized = LatexAnswer.normalize(answer.text)
        if normalized.isEmpty {
            return RewardResult(outcome: .unparsable, method: answer.method, extracted: answer.text)
        }
        let key = LatexAnswer.numericValue(of: normalized).map(NumericAnswer.voteKey(value:)) ?? "latex:" + normalized
        let correct = LatexAnswer.equivalent(answer.text, item.goldAnswer)
        return RewardResult(outcome: correct ? .correct : .incorrect, method: answer.method, extracted: answer.text, voteKey: key)
    }
}
