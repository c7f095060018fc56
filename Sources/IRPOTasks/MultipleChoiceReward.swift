/// Exact-match reward for multiple-choice questions (ARC): the extracted answer must designate
/// the option whose label is `item.goldAnswer` (see `ChoiceMatcher` for the accepted forms).
public struct MultipleChoiceReward: RewardFunction, Hashable, Codable {
    /// The registry name.
    public var name: String
    /// How the answer is found (default: "Final answer:" only).
    public var extractor: AnswerExtractor

    /// Creates the reward.
    public init(name: String = "arc", extractor: AnswerExtractor = .strict) {
        self.name = name
        self.extractor = extractor
    }

    /// Scores `completion` against the gold label of `item`.
    public func score(completion: String, item: TaskItem) -> RewardResult {
        guard let answer = extractor.extract(from: completion) else { return .noAnswer }
        switch ChoiceMatcher.match(answer.text, choices: item.choices) {
        case .none:
            return RewardResult(outcome: .unparsable, method: answer.method, extracted: answer.text)
        case .ambiguous:
            return RewardResult(outcome: .ambiguous, method: answer.method, extracted: answer.text)
        case let .choice(index):
            let label = item.choices[index].label.uppercased()
            let correct = label == item.goldAnswer.uppercased()
            return RewardResult(outcome: correct ? .correct : .incorrect, method: answer.method, extracted: answer.text,
                                voteKey: "option:" + label)
        }
    }
}
