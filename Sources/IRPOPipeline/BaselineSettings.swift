/// The `baselines` section of a run config: each iteration-1 baseline of `irpo compare` trains
/// with its own learning rate (and, for DPO, its own beta) instead of inheriting RPO's, so that a
/// baseline is not judged at settings tuned for another loss. Absent values fall back to
/// `training`'s.
///
/// ```yaml
/// baselines:
///   dpo: {learning_rate: 2.0e-5, beta: 0.1}
///   sft_chosen: {learning_rate: 5.0e-5}
///   sft_gold: {learning_rate: 5.0e-5}
/// ```
public struct BaselineSettings: Sendable, Equatable {
    /// One baseline's overrides.
    public struct Method: Sendable, Equatable {
        /// Peak learning rate (nil: the RPO run's rate of iteration 1).
        public var learningRate: Double?
        /// beta of the DPO term (nil: `training.beta`; only DPO uses it).
        public var beta: Double?
        /// Epochs over the pairs (nil: the RPO run's epochs of iteration 1).
        public var epochs: Int?

        public init(learningRate: Double? = nil, beta: Double? = nil, epochs: Int? = nil) {
            self.learningRate = learningRate
            self.beta = beta
            self.epochs = epochs
        }

        /// The keys of one baseline's section; `beta` only for DPO. `what` names the baseline's
        /// training data in the docs.
        static func schema(label: String, what: String, beta: Bool) -> ConfigSchema<Method> {
            var keys: [ConfigKey<Method>] = [
                .optionalDouble("learning_rate", \.learningRate, .learningRate, default: "iteration 1's rate",
                                "\(label)'s peak learning rate"),
            ]
            if beta {
                keys.append(.optionalDouble("beta", \.beta, ConfigNumberRule("a number in (0, 1000]") { $0 > 0 && $0 <= 1000 },
                                            default: "`training.beta`", "\(label)'s beta"))
            }
            keys.append(.optionalInt("epochs", \.epochs, 1...1000, note: "", default: "iteration 1's epochs", "passes over \(what)"))
            return ConfigSchema(keys: keys)
        }
    }

    /// DPO without NLL.
    public var dpo = Method()
    /// SFT on the chosen completions (STaR, one iteration).
    public var sftChosen = Method()
    /// SFT on the gold chains of thought.
    public var sftGold = Method()

    public init() {}

    /// The section's keys, in the order they are documented.
    static var schema: ConfigSchema<BaselineSettings> {
        ConfigSchema(keys: [
            .section("dpo", \.dpo, Method.schema(label: "DPO", what: "the pairs", beta: true), flatten: true),
            .section("sft_chosen", \.sftChosen, Method.schema(label: "SFT on chosen", what: "the chosen completions", beta: false), flatten: true),
            .section("sft_gold", \.sftGold, Method.schema(label: "SFT on gold", what: "the gold solutions", beta: false), flatten: true),
        ])
    }

    /// The overrides of `baseline` (none for zero-shot and RPO).
    public func method(_ baseline: Baseline) -> Method {
        switch baseline {
        case .dpo: return dpo
        case .sftChosen: return sftChosen
        case .sftGold: return sftGold
        case .zeroShot, .rpo: return Method()
        }
    }
}
