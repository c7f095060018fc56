/// A loss term with its weight in the objective.
public struct WeightedLossTerm: Codable, Sendable, Equatable {
    /// The term.
    public var term: LossTerm
    /// Its weight (the paper's alpha for the NLL term).
    public var weight: Double

    /// Memberwise init.
    public init(_ term: LossTerm, weight: Double = 1) {
        self.term = term
        self.weight = weight
    }
}

/// The training objective: a weighted sum of loss terms, plus the beta used to report DPO
/// rewards. Build it from a preset (`rpo`, `dpo`, `sft`) or from terms.
public struct TrainingObjective: Codable, Sendable, Equatable {
    /// The weighted terms; the loss is sum_k weight_k * term_k.
    public var terms: [WeightedLossTerm]
    /// The beta of the implicit rewards in the metrics (`rewards/*`).
    public var rewardBeta: Double

    /// Memberwise init. Terms with weight 0 are kept but contribute nothing.
    public init(terms: [WeightedLossTerm], rewardBeta: Double) {
        self.terms = terms
        self.rewardBeta = rewardBeta
    }

    /// The paper's loss: DPO sigmoid (beta) + alpha * NLL of the winner (per-sequence by
    /// default; `.perToken` is TRL's `["sigmoid", "sft"]`). Paper defaults alpha = 1, beta = 0.1.
    public static func rpo(alpha: Double = 1, beta: Double = 0.1,
                           nllNormalization: NLLNormalization = .perSequence) -> TrainingObjective {
        TrainingObjective(terms: [WeightedLossTerm(.dpoSigmoid(beta: beta)),
                                  WeightedLossTerm(.nll(nllNormalization), weight: alpha)],
                          rewardBeta: beta)
    }

    /// Plain DPO (alpha = 0), the paper's baseline.
    public static func dpo(beta: Double = 0.1) -> TrainingObjective {
        TrainingObjective(terms: [WeightedLossTerm(.dpoSigmoid(beta: beta))], rewardBeta: beta)
    }

    /// IPO, as an extra baseline.
    public static func ipo(beta: Double = 0.1) -> TrainingObjective {
        TrainingObjective(terms: [WeightedLossTerm(.ipo(beta: beta))], rewardBeta: beta)
    }

    /// SFT: NLL of the winner only (SFT on gold CoT, or STaR-style SFT on chosen).
    public static func sft(normalization: NLLNormalization = .perSequence) -> TrainingObjective {
        TrainingObjective(terms: [WeightedLossTerm(.nll(normalization))], rewardBeta: 0.1)
    }

    /// Whether any weighted term reads the loser (otherwise only winners are forwarded).
    public var needsRejected: Bool { terms.contains { $0.weight != 0 && $0.term.needsRejected } }

    /// Whether any weighted term reads reference log-probs.
    public var needsReference: Bool { terms.contains { $0.weight != 0 && $0.term.needsReference } }

    /// The NLL normalisation of the first NLL term, or per-sequence if there is none (used for
    /// the `nll` metric).
    public var nllNormalization: NLLNormalization {
        for weighted in terms { if case let .nll(normalization) = weighted.term { return normalization } }
        return .perSequence
    }

    /// The objective's value and derivatives on `pairs`.
    public func evaluate(_ pairs: [PairScores]) -> LossEvaluation {
        var result = LossEvaluation.zero(count: pairs.count)
        for weighted in terms where weighted.weight != 0 {
            result.accumulate(weighted.term.evaluate(pairs), weight: weighted.weight)
        }
        return result
    }

    /// Checks the weights and betas; the message names the bad value.
    public func validate() throws {
        guard !terms.isEmpty else { throw TrainingError.invalidConfiguration("the objective has no loss terms; use a preset (rpo, dpo, sft)") }
        for weighted in terms {
            guard weighted.weight.isFinite, weighted.weight >= 0 else {
                throw TrainingError.invalidConfiguration("loss weight \(weighted.weight) of \(weighted.term) must be finite and >= 0")
            }
            switch weighted.term {
            case let .dpoSigmoid(beta, smoothing):
                guard beta.isFinite, beta > 0 else { throw TrainingError.invalidConfiguration("beta \(beta) must be > 0") }
                guard smoothing >= 0, smoothing < 0.5 else {
                    throw TrainingError.invalidConfiguration("label smoothing \(smoothing) must be in [0, 0.5)")
                }
            case let .ipo(beta):
                guard beta.isFinite, beta > 0 else { throw TrainingError.invalidConfiguration("beta \(beta) must be > 0") }
            case .nll:
                break
            }
        }
    }
}
