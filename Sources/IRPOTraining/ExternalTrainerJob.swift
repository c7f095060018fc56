import Foundation

/// One iteration's training hand-off: the files and hyper-parameters an external trainer (e.g.
/// `examples/trl/train_dpo.py`) receives, as environment variables and as `{placeholders}` in its
/// command.
///
/// | variable | placeholder | value |
/// |---|---|---|
/// | `IRPO_INPUT_MODEL` | `{input_model}` | M_{t-1}: the model folder to start from and the DPO reference |
/// | `IRPO_PAIRS` | `{pairs}` | `pairs.jsonl` (TRL's `prompt`/`chosen`/`rejected`) |
/// | `IRPO_REF_LOGPS` | `{ref_logps}` | reference log-probs file, or empty when none was computed |
/// | `IRPO_OUTPUT_DIR` | `{output_dir}` | where the trainer must write an HF model folder |
/// | `IRPO_ITERATION` | `{iteration}` | t |
/// | `IRPO_LOSS` | `{loss}` | `rpo`, `dpo` or `sft` |
/// | `IRPO_ALPHA`, `IRPO_BETA` | `{alpha}`, `{beta}` | NLL weight, DPO beta |
/// | `IRPO_NLL_NORMALIZATION` | `{nll_normalization}` | `sequence` or `token` |
/// | `IRPO_LEARNING_RATE` | `{learning_rate}` | peak learning rate |
/// | `IRPO_EPOCHS`, `IRPO_BATCH_SIZE`, `IRPO_MAX_STEPS` | `{epochs}`, `{batch_size}`, `{max_steps}` | schedule |
/// | `IRPO_SEED` | `{seed}` | seed of the run |
public struct ExternalTrainerJob: Sendable, Equatable {
    public var inputModel: URL
    public var pairs: URL
    public var referenceLogProbs: URL?
    public var outputDirectory: URL
    public var iteration: Int
    public var loss: String = "rpo"
    public var alpha: Double = 1
    public var beta: Double = 0.1
    public var nllNormalization: String = "sequence"
    public var learningRate: Double = 7e-7
    public var epochs: Int = 1
    public var batchSize: Int = 16
    public var maxSteps: Int = 5000
    public var seed: UInt64 = 0

    /// A job with the paper's hyper-parameters; set the others as needed.
    public init(inputModel: URL, pairs: URL, referenceLogProbs: URL? = nil, outputDirectory: URL, iteration: Int) {
        self.inputModel = inputModel
        self.pairs = pairs
        self.referenceLogProbs = referenceLogProbs
        self.outputDirectory = outputDirectory
        self.iteration = iteration
    }

    /// Placeholder names (without braces) and their values.
    public var placeholders: [String: String] {
        [
            "input_model": inputModel.path,
            "pairs": pairs.path,
            "ref_logps": referenceLogProbs?.path ?? "",
            "output_dir": outputDirectory.path,
            "iteration": String(iteration),
            "loss": loss,
            "alpha": Self.format(alpha),
            "beta": Self.format(beta),
            "nll_normalization": nllNormalization,
            "learning_rate": Self.format(learningRate),
            "epochs": String(epochs),
            "batch_size": String(batchSize),
            "max_steps": String(maxSteps),
            "seed": String(seed),
        ]
    }

    /// The environment variables: `IRPO_` + the upper-cased placeholder name.
    public var environment: [String: String] {
        Dictionary(uniqueKeysWithValues: placeholders.map { ("IRPO_" + $0.key.uppercased(), $0.value) })
    }

    /// A number as Python and shells read it back exactly (`1e-06`, `0.1`, `1`).
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
