import Foundation

/// How the NLL term on the winner is normalised.
public enum NLLNormalization: String, Codable, Sendable, CaseIterable {
    /// The paper's form (default): mean over pairs of -log pi(w|x) / |w|.
    case perSequence = "sequence"
    /// TRL's `sft` loss type: -sum_i log pi(w_i|x_i) / sum_i |w_i| over the batch the term is
    /// evaluated on (TRL evaluates it per micro-batch).
    case perToken = "token"
    /// A variant that departs from the paper: mean over pairs of the summed -log pi(w|x) (no
    /// division by |w|), so every winner token gets weight alpha / pairs whatever its length.
    /// It protects the tokens winners and losers share more strongly than the paper's form.
    case sum = "sum"
}

/// One term of a training objective. Each term maps the per-pair scores of a batch to a value
/// and its derivatives with respect to the policy log-probabilities; terms are combined with
/// weights by `TrainingObjective`. Terms that average over pairs use the mean over the batch.
public enum LossTerm: Codable, Sendable, Equatable {
    /// DPO's sigmoid loss (Rafailov et al.; the first term of the paper's L):
    /// mean_i -log sigma(beta * [(pc - rc) - (pr - rr)]), with optional label smoothing
    /// (conservative DPO, as TRL's `label_smoothing`): (1 - s) * -log sigma(z) + s * -log sigma(-z).
    case dpoSigmoid(beta: Double, labelSmoothing: Double = 0)
    /// IPO (Azar et al.), as TRL computes it: on length-averaged log-probs,
    /// mean_i (((pc/|w| - pr/|l|) - (rc/|w| - rr/|l|)) - 1 / (2 beta))^2.
    case ipo(beta: Double)
    /// Negative log-likelihood of the winner (the paper's second term, or plain SFT).
    case nll(NLLNormalization)

    /// Whether the term reads the loser's scores (false: the loser need not be forwarded).
    public var needsRejected: Bool {
        switch self {
        case .dpoSigmoid, .ipo: return true
        case .nll: return false
        }
    }

    /// Whether the term reads reference log-probs.
    public var needsReference: Bool { needsRejected }

    /// Evaluates the term on `pairs` (value and derivatives w.r.t. the policy log-probs).
    /// An empty batch gives a zero loss.
    public func evaluate(_ pairs: [PairScores]) -> LossEvaluation {
        var result = LossEvaluation.zero(count: pairs.count)
        guard !pairs.isEmpty else { return result }
        let inverseCount = 1.0 / Double(pairs.count)
        switch self {
        case let .dpoSigmoid(beta, smoothing):
            for (index, pair) in pairs.enumerated() {
                let logits = (pair.policyChosen - pair.referenceChosen) - (pair.policyRejected - pair.referenceRejected)
                let z = beta * logits
                // -log sigma(z) = softplus(-z); d/dz = -sigma(-z). -log sigma(-z) = softplus(z); d/dz = sigma(z).
                let loss = (1 - smoothing) * LossMath.softplus(-z) + smoothing * LossMath.softplus(z)
                let dz = -(1 - smoothing) * LossMath.sigmoid(-z) + smoothing * LossMath.sigmoid(z)
                result.value += loss * inverseCount
                result.dPolicyChosen[index] = dz * beta * inverseCount
                result.dPolicyRejected[index] = -dz * beta * inverseCount
            }
        case let .ipo(beta):
            for (index, pair) in pairs.enumerated() {
                precondition(pair.chosenTokens > 0 && pair.rejectedTokens > 0, "IPO needs non-empty completions")
                let chosenCount = Double(pair.chosenTokens)
                let rejectedCount = Double(pair.rejectedTokens)
                let logits = (pair.policyChosen / chosenCount - pair.policyRejected / rejectedCount)
                    - (pair.referenceChosen / chosenCount - pair.referenceRejected / rejectedCount)
                let residual = logits - 1 / (2 * beta)
                result.value += residual * residual * inverseCount
                result.dPolicyChosen[index] = 2 * residual / chosenCount * inverseCount
                result.dPolicyRejected[index] = -2 * residual / rejectedCount * inverseCount
            }
        case .nll(.perSequence):
            for (index, pair) in pairs.enumerated() {
                precondition(pair.chosenTokens > 0, "NLL needs non-empty completions")
                let count = Double(pair.chosenTokens)
                result.value += -pair.policyChosen / count * inverseCount
                result.dPolicyChosen[index] = -1 / count * inverseCount
            }
        case .nll(.sum):
            for (index, pair) in pairs.enumerated() {
                result.value += -pair.policyChosen * inverseCount
                result.dPolicyChosen[index] = -inverseCount
            }
        case .nll(.perToken):
            let totalTokens = Double(pairs.reduce(0) { $0 + $1.chosenTokens })
            precondition(totalTokens > 0, "NLL needs non-empty completions")
            for (index, pair) in pairs.enumerated() {
                result.value += -pair.policyChosen / totalTokens
                result.dPolicyChosen[index] = -1 / totalTokens
            }
        }
        return result
    }
}

/// Numerically stable scalar helpers for the loss terms.
enum LossMath {
    /// log(1 + exp(x)) without overflow.
    static func softplus(_ x: Double) -> Double {
        x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
    }

    /// 1 / (1 + exp(-x)) without overflow.
    static func sigmoid(_ x: Double) -> Double {
        if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
        let e = Foundation.exp(x)
        return e / (1 + e)
    }
}
