import Foundation

/// The metrics of one optimizer step, written as one JSONL object with TRL's names
/// (`loss`, `nll`, `rewards/chosen`, `rewards/rejected`, `rewards/margins`,
/// `rewards/accuracies`, `logps/chosen`, `logps/rejected`, `learning_rate`, `grad_norm`) plus
/// `step`, `epoch`, `pairs` and `tokens`. Reward and rejected metrics are absent (nil) when
/// the objective has no loser (SFT).
public struct StepMetrics: Codable, Sendable, Equatable {
    /// 1-based index of the optimizer step.
    public var step: Int
    /// Fractional epoch at the end of the step (pairs consumed / pairs per epoch).
    public var epoch: Double
    /// The objective's value over the step's effective batch.
    public var loss: Double
    /// NLL of the winners (the objective's NLL normalisation).
    public var nll: Double
    /// Mean beta * (log pi(w|x) - log pi_ref(w|x)).
    public var rewardsChosen: Double?
    /// Mean beta * (log pi(l|x) - log pi_ref(l|x)).
    public var rewardsRejected: Double?
    /// Mean chosen minus rejected reward.
    public var rewardsMargins: Double?
    /// Fraction of pairs whose chosen reward exceeds the rejected reward.
    public var rewardsAccuracies: Double?
    /// Mean summed log-prob of the winners under the policy (before the update).
    public var logpsChosen: Double
    /// Mean summed log-prob of the losers under the policy (before the update).
    public var logpsRejected: Double?
    /// Learning rate used by this step's update.
    public var learningRate: Double
    /// Global L2 norm of the gradient before clipping.
    public var gradNorm: Double
    /// Pairs (or SFT examples) in the step.
    public var pairs: Int
    /// Scored tokens forwarded in the step (winners and losers).
    public var tokens: Int

    enum CodingKeys: String, CodingKey {
        case step, epoch, loss, nll, pairs, tokens
        case rewardsChosen = "rewards/chosen"
        case rewardsRejected = "rewards/rejected"
        case rewardsMargins = "rewards/margins"
        case rewardsAccuracies = "rewards/accuracies"
        case logpsChosen = "logps/chosen"
        case logpsRejected = "logps/rejected"
        case learningRate = "learning_rate"
        case gradNorm = "grad_norm"
    }

    /// Metrics of a step from its pairs' scores (policy values before the update).
    public init(step: Int, epoch: Double, loss: Double, scores: [PairScores], objective: TrainingObjective,
                learningRate: Double, gradNorm: Double) {
        precondition(!scores.isEmpty, "StepMetrics needs at least one pair")
        let count = Double(scores.count)
        self.step = step
        self.epoch = epoch
        self.loss = loss
        self.nll = LossTerm.nll(objective.nllNormalization).evaluate(scores).value
        self.logpsChosen = scores.reduce(0) { $0 + $1.policyChosen } / count
        self.learningRate = learningRate
        self.gradNorm = gradNorm
        self.pairs = scores.count
        self.tokens = scores.reduce(0) { $0 + $1.chosenTokens + (objective.needsRejected ? $1.rejectedTokens : 0) }
        if objective.needsRejected {
            let beta = objective.rewardBeta
            let chosen = scores.map { $0.chosenReward(beta: beta) }
            let rejected = scores.map { $0.rejectedReward(beta: beta) }
            rewardsChosen = chosen.reduce(0, +) / count
            rewardsRejected = rejected.reduce(0, +) / count
            rewardsMargins = zip(chosen, rejected).reduce(0) { $0 + ($1.0 - $1.1) } / count
            rewardsAccuracies = Double(zip(chosen, rejected).filter { $0.0 > $0.1 }.count) / count
            logpsRejected = scores.reduce(0) { $0 + $1.policyRejected } / count
        }
    }

    /// One JSON line (keys sorted, no trailing newline).
    public func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        return String(decoding: data, as: UTF8.self)
    }
}
