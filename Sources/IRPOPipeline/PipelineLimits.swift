/// Upper bounds on the counts and sizes a run config (or the CLI) may ask for, in one place
/// (docs/limits.md lists them). They sit far above any real run and far below where arithmetic
/// on them could overflow or an allocation could exhaust memory; a value outside its bound is a
/// `PipelineError` naming the key, the value and the bound.
public enum PipelineLimits {
    /// Most questions of a split (synthetic question counts, `train_limit`, `evaluation.limit`,
    /// `selection_questions`).
    public static let maxQuestions = 1_000_000
    /// Most samples per question (`sampling.samples_per_question`, `evaluation.majority_k`).
    public static let maxSamplesPerQuestion = 1024
    /// Most preference pairs per question (`pairs.pairs_per_question`).
    public static let maxPairsPerQuestion = maxSamplesPerQuestion * maxSamplesPerQuestion
    /// Most preference pairs of one iteration (`pairs.max_pairs`).
    public static let maxPairs = 100_000_000
    /// Most sequences the sampling engine decodes together (`sampling.batch_size`).
    public static let maxSamplingBatchSize = 4096
    /// Largest training batch and micro-batch (`training.batch_size`, `training.micro_batch_size`).
    public static let maxTrainingBatchSize = 65_536
    /// Most epochs per iteration (`training.epochs`).
    public static let maxEpochs = 10_000
    /// Most optimizer steps, and the largest step interval (`training.max_steps`,
    /// `warmup_steps`, `checkpoint_every`, `selection_every`).
    public static let maxSteps = 100_000_000
    /// Most tokens of one sequence (`max_new_tokens`, `training.max_length`).
    public static let maxSequenceTokens = 1 << 20
    /// Largest `top_k`.
    public static let maxTopK = 1 << 24
    /// Most worker threads (`threads`).
    public static let maxThreads = 256
    /// Most iterations of a run (`iterations`).
    public static let maxIterations = 100
    /// Largest config file, in bytes (1 MiB).
    public static let maxConfigBytes = 1 << 20
    /// Deepest nesting of objects and arrays in a config (JSON or YAML).
    public static let maxConfigDepth = 64
    /// Most values (scalars, objects, arrays) in a config after YAML aliases are expanded.
    public static let maxConfigNodes = 100_000
}
