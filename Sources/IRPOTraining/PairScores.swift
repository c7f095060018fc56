/// The per-pair numbers every loss term works on: summed completion log-probabilities of the
/// chosen (winner) and rejected (loser) sequences under the policy and the frozen reference
/// model, and the completion token counts.
///
/// For SFT examples (no loser) the `rejected*` fields are 0 and `rejectedTokens` is 0; terms
/// that need a loser must not be used with them (`LossTerm.needsRejected`).
public struct PairScores: Sendable, Equatable {
    /// log pi_theta(w | x): sum of the winner's completion token log-probs under the policy.
    public var policyChosen: Double
    /// log pi_theta(l | x) under the policy.
    public var policyRejected: Double
    /// log pi_ref(w | x) under the frozen reference model (0 when not needed).
    public var referenceChosen: Double
    /// log pi_ref(l | x) under the frozen reference model (0 when not needed).
    public var referenceRejected: Double
    /// |w|: number of scored (completion) tokens of the winner.
    public var chosenTokens: Int
    /// |l|: number of scored (completion) tokens of the loser (0 for SFT examples).
    public var rejectedTokens: Int

    /// Memberwise init.
    public init(
        policyChosen: Double, policyRejected: Double = 0,
        referenceChosen: Double = 0, referenceRejected: Double = 0,
        chosenTokens: Int, rejectedTokens: Int = 0
    ) {
        self.policyChosen = policyChosen
        self.policyRejected = policyRejected
        self.referenceChosen = referenceChosen
        self.referenceRejected = referenceRejected
        self.chosenTokens = chosenTokens
        self.rejectedTokens = rejectedTokens
    }

    /// The DPO implicit reward of the winner, beta * (log pi(w|x) - log pi_ref(w|x)).
    public func chosenReward(beta: Double) -> Double { beta * (policyChosen - referenceChosen) }

    /// The DPO implicit reward of the loser, beta * (log pi(l|x) - log pi_ref(l|x)).
    public func rejectedReward(beta: Double) -> Double { beta * (policyRejected - referenceRejected) }
}

/// The value of a loss over a batch of pairs and its derivatives with respect to each pair's
/// policy log-probabilities (the only inputs that depend on the trained parameters).
public struct LossEvaluation: Sendable, Equatable {
    /// The loss value.
    public var value: Double
    /// d value / d policyChosen[i].
    public var dPolicyChosen: [Double]
    /// d value / d policyRejected[i].
    public var dPolicyRejected: [Double]

    /// A zero loss over `count` pairs.
    public static func zero(count: Int) -> LossEvaluation {
        LossEvaluation(value: 0, dPolicyChosen: Array(repeating: 0, count: count),
                       dPolicyRejected: Array(repeating: 0, count: count))
    }

    /// Adds `weight * other` to this evaluation (same pair count).
    public mutating func accumulate(_ other: LossEvaluation, weight: Double) {
        precondition(other.dPolicyChosen.count == dPolicyChosen.count, "LossEvaluation.accumulate: pair counts differ")
        value += weight * other.value
        for index in dPolicyChosen.indices {
            dPolicyChosen[index] += weight * other.dPolicyChosen[index]
            dPolicyRejected[index] += weight * other.dPolicyRejected[index]
        }
    }
}
