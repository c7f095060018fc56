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
public struct BaselineSettings: Sendable, Equatable, Encodable {
    /// One baseline's overrides.
    public struct Method: Sendable, Equatable, Encodable {
        /// Peak learning rate (nil: `training.learning_rate`).
        public var learningRate: Double?
        /// beta of the DPO term (nil: `training.beta`; only DPO uses it).
        public var beta: Double?
        /// Epochs over the pairs (nil: `training.epochs`).
        public var epochs: Int?

        public init(learningRate: Double? = nil, beta: Double? = nil, epochs: Int? = nil) {
            self.learningRate = learningRate
            self.beta = beta
            self.epochs = epochs
        }

        enum CodingKeys: String, CodingKey {
            case learningRate = "learning_rate", beta, epochs
        }
    }

    /// DPO without NLL.
    public var dpo = Method()
    /// SFT on the chosen completions (STaR, one iteration).
    public var sftChosen = Method()
    /// SFT on the gold chains of thought.
    public var sftGold = Method()

    public init() {}

    enum CodingKeys: String, CodingKey {
        case dpo, sftChosen = "sft_chosen", sftGold = "sft_gold"
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

    static func read(_ section: inout ConfigReader) throws -> BaselineSettings {
        var settings = BaselineSettings()
        func method(_ key: String, beta: Bool) throws -> Method {
            var reader = try section.section(key)
            var method = Method()
            method.learningRate = try reader.optionalDouble("learning_rate")
            if beta { method.beta = try reader.optionalDouble("beta") }
            method.epochs = try reader.optionalInt("epochs")
            try reader.rejectUnknownKeys()
            return method
        }
        settings.dpo = try method("dpo", beta: true)
        settings.sftChosen = try method("sft_chosen", beta: false)
        settings.sftGold = try method("sft_gold", beta: false)
        try section.rejectUnknownKeys()
        return settings
    }

    /// Checks every value; errors name the key (`baselines.dpo.beta`, ...).
    func validate() throws {
        for (name, method) in [("dpo", dpo), ("sft_chosen", sftChosen), ("sft_gold", sftGold)] {
            if let rate = method.learningRate, !(rate.isFinite && rate > 0 && rate < 1) {
                throw PipelineError("config key `baselines.\(name).learning_rate` has value \(rate), expected a number in (0, 1)")
            }
            if let beta = method.beta, !(beta.isFinite && beta > 0 && beta <= 1000) {
                throw PipelineError("config key `baselines.\(name).beta` has value \(beta), expected a number in (0, 1000]")
            }
            if let epochs = method.epochs, !(1...1000).contains(epochs) {
                throw PipelineError("config key `baselines.\(name).epochs` has value \(epochs), expected an integer within 1...1000")
            }
        }
    }
}
