/// One scored completion of a training question.
public struct ScoredSample: Sendable, Equatable, Codable {
    /// The completion text (chain of thought and final answer).
    public var completion: String
    /// 1 when the extracted answer equals the gold answer, else 0.
    public var reward: Double
    /// Index of the sample among the question's N samples; `nil` for the gold solution.
    public var sampleIndex: Int?

    public init(completion: String, reward: Double, sampleIndex: Int?) {
        self.completion = completion
        self.reward = reward
        self.sampleIndex = sampleIndex
    }
}

/// A winner/loser pair for one question.
public struct PreferencePair: Sendable, Equatable, Codable {
    public var questionID: String
    public var prompt: String
    public var chosen: ScoredSample
    public var rejected: ScoredSample

    public init(questionID: String, prompt: String, chosen: ScoredSample, rejected: ScoredSample) {
        self.questionID = questionID
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
    }
}

/// Why a question produced no pairs.
public enum PairSkipReason: String, Sendable, Codable, CaseIterable {
    /// Every sample was correct: there is nothing to push down.
    case noLoser = "no_loser"
    /// No sample was correct and no gold solution was added as a winner.
    case noWinner = "no_winner"
}

/// Builds the paper's preference pairs (Pang et al. 2024, section 2): winners G_w (reward 1) and losers
/// G_l (reward 0) of one question are walked in step, pair k = (G_w[k mod |G_w|], G_l[k mod |G_l|]) for
/// k < K. A question without a winner or without a loser is skipped. The gold solution, when given, is
/// appended to the winners (the paper does this on GSM8K).
public struct PairBuilder: Sendable {
    /// K, the number of pairs per question (paper: 10 on GSM8K, 20 on ARC, 15 on MATH).
    public var pairsPerQuestion: Int
    /// Whether a gold solution joins the winners.
    public var goldAsWinner: Bool

    public init(pairsPerQuestion: Int, goldAsWinner: Bool) {
        precondition(pairsPerQuestion > 0, "pairsPerQuestion must be positive")
        self.pairsPerQuestion = pairsPerQuestion
        self.goldAsWinner = goldAsWinner
    }

    /// Pairs for one question, or the reason there are none.
    /// - Parameters:
    ///   - samples: the question's scored samples in sampling order.
    ///   - goldSolution: the gold chain of thought rendered as a completion, if the dataset has one.
    public func pairs(
        questionID: String, prompt: String, samples: [ScoredSample], goldSolution: String?
    ) -> Result<[PreferencePair], PairSkipError> {
        var winners = samples.filter { $0.reward > 0.5 }
        let losers = samples.filter { $0.reward <= 0.5 }
        if goldAsWinner, let gold = goldSolution {
            winners.append(ScoredSample(completion: gold, reward: 1, sampleIndex: nil))
        }
        if losers.isEmpty { return .failure(PairSkipError(reason: .noLoser)) }
        if winners.isEmpty { return .failure(PairSkipError(reason: .noWinner)) }
        let pairs = (0..<pairsPerQuestion).map { k in
            PreferencePair(
                questionID: questionID, prompt: prompt,
                chosen: winners[k % winners.count], rejected: losers[k % losers.count])
        }
        return .success(pairs)
    }
}

/// The reason a question was skipped, as an `Error` so it fits in a `Result`.
public struct PairSkipError: Error, Sendable, Equatable {
    public var reason: PairSkipReason
}
