/// Settings of a training run (TRL's `DPOConfig` names in the comments). The CLI maps flags
/// onto it; `validate()` names the bad value.
public struct TrainerConfiguration: Codable, Sendable, Equatable {
    /// The loss (`loss_type`, `beta`, `rpo_alpha`). Default: the paper's rpo preset.
    public var objective: TrainingObjective = .rpo()
    /// AdamW hyper-parameters (`adam_beta1`, `adam_beta2`, `adam_epsilon`, `weight_decay`).
    public var optimizer = AdamWConfiguration()
    /// Peak learning rate (`learning_rate`; paper: 7e-7).
    public var learningRate: Double = 7e-7
    /// Schedule shape after warmup (`lr_scheduler_type`).
    public var scheduleKind: LearningRateSchedule.Kind = .constant
    /// Linear warmup steps (`warmup_steps`).
    public var warmupSteps: Int = 0
    /// Pairs per optimizer step (effective batch; paper: 16).
    public var batchSize: Int = 16
    /// Pairs per forward/backward (`per_device_train_batch_size`); gradients accumulate over
    /// batchSize / microBatchSize micro-batches.
    public var microBatchSize: Int = 4
    /// Number of optimizer steps (`max_steps`); nil: `epochs` full epochs.
    public var maxSteps: Int?
    /// Epochs when `maxSteps` is nil (`num_train_epochs`).
    public var epochs: Int = 1
    /// Global gradient-norm clipping (`max_grad_norm`); 0 disables clipping.
    public var maxGradNorm: Double = 1
    /// Longest prompt + completion in tokens (`max_length`); longer pairs are dropped.
    public var maxLength: Int = 1024
    /// Seed of the data order.
    public var seed: UInt64 = 42
    /// Write a checkpoint every this many steps (`save_steps`); 0: only at the end.
    public var checkpointEvery: Int = 0
    /// Keep at most this many step checkpoints (`save_total_limit`), oldest removed first.
    public var checkpointLimit: Int = 2

    /// Defaulted init.
    public init() {}

    /// Optimizer steps for `exampleCount` examples.
    public func totalSteps(exampleCount: Int) -> Int {
        if let maxSteps { return maxSteps }
        let perEpoch = BatchPlan(examplesPerStep: batchSize, examplesPerMicroBatch: microBatchSize).stepsPerEpoch(exampleCount: exampleCount)
        // Saturates instead of trapping when an unvalidated epoch count overflows.
        let (steps, overflow) = max(0, epochs).multipliedReportingOverflow(by: perEpoch)
        return overflow ? Int.max : steps
    }

    /// The batch plan.
    public var batchPlan: BatchPlan { BatchPlan(examplesPerStep: batchSize, examplesPerMicroBatch: min(microBatchSize, batchSize)) }

    /// Checks every value; the message names the bad one.
    public func validate() throws {
        try objective.validate()
        try optimizer.validate()
        try batchPlan.validate()
        guard learningRate.isFinite, learningRate >= 0 else {
            throw TrainingError.invalidConfiguration("learning rate \(learningRate) must be finite and >= 0")
        }
        guard warmupSteps >= 0 else { throw TrainingError.invalidConfiguration("warmup steps \(warmupSteps) must be >= 0") }
        if let maxSteps, maxSteps < 1 { throw TrainingError.invalidConfiguration("steps \(maxSteps) must be >= 1") }
        guard epochs >= 1 else { throw TrainingError.invalidConfiguration("epochs \(epochs) must be >= 1") }
        guard maxGradNorm >= 0, maxGradNorm.isFinite else {
            throw TrainingError.invalidConfiguration("max grad norm \(maxGradNorm) must be >= 0 (0 disables clipping)")
        }
        guard maxLength >= 2 else { throw TrainingError.invalidConfiguration("max length \(maxLength) must be >= 2") }
        guard checkpointEvery >= 0 else { throw TrainingError.invalidConfiguration("checkpoint interval \(checkpointEvery) must be >= 0") }
        guard checkpointLimit >= 1 else { throw TrainingError.invalidConfiguration("checkpoint limit \(checkpointLimit) must be >= 1") }
    }
}
