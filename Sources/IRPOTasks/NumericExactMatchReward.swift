/// Exact-match reward for numeric answers (GSM8K, the synthetic task, numeric JSONL datasets).
///
/// The answer is extracted with `extractor`, read with `NumericAnswer.read` (an answer holding
/// two different numbers is `.ambiguous`, never correct) and compared exactly with the gold
/// number (`$1,234.00` = `1234`, `0.5` = `1/2`; percent signs per `percent`).
public struct NumericExactMatchReward: RewardFunction, Hashable, Codable {
    /// The registry name.
    public var name: String
    /// How the answer is found.
    public var extractor: AnswerExtractor
    /// How "25%" is compared.
    public var percent: PercentPolicy

    /// Creates the reward. GSM8K's default fallbacks are `\boxed{}` and "####"; "last number" is
    /// off by default because it rewards truncated working ("7+5=12. 12-3=").
    public init(name: String = "gsm8k", extractor: AnswerExtractor = AnswerExtractor(fallbacks: [.boxed, .hashes]), percent: PercentPolicy = .ignoreSign) {
        self.name = name
        self.extractor = extractor
        self.percent = percent
    }

    /// Scores `completion` against `item.goldAnswer` (which must be a number; a gold answer that
    /// is not one makes every completion `.incorrect`; datasets validate this at load time).
    public func score(completion: String, item: TaskItem) -> RewardResult {
        guard let answer = extractor.extract(from: completion) else { return .noAnswer }
        switch NumericAnswer.read(answer.text) {
        case .none:
            return RewardResult(outcome: .unparsable, method: answer.method, extracted: answer.text)
        case .ambiguous:
            return RewardResult(outcome: .ambiguous, method: answer.method, extracted: answer.text)
        case let .number(token):
            let key = NumericAnswer.voteKey(token, percent: percent)
            guard let gold = NumericAnswer.goldValue(item.goldAnswer) else {
                return RewardResult(outcome: .incorrect, method: answer.method, extracted: answer.text, voteKey: key)
            }
            let correct = NumericAnswer.matches(token, gold: gold, percent: percent)
            return RewardResult(outcome: correct ? .correct : .incorrect, method: answer.method, extracted: answer.text, voteKey: key)
        }
    }
}
