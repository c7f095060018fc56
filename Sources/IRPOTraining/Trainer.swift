import Foundation
import IRPOTensor

/// What the progress callback tells the trainer after each step.
public enum TrainingDecision: Sendable {
    /// Go on.
    case proceed
    /// Stop after this step (the run can be resumed from its last checkpoint).
    case stop
}

/// How a `train` call ended.
public struct TrainingSummary: Sendable {
    /// Optimizer steps completed in total (including steps before a resume).
    public var completedSteps: Int
    /// Whether the progress callback stopped the run before the last step.
    public var stoppedEarly: Bool
    /// Metrics of the last step run in this call, if any.
    public var lastMetrics: StepMetrics?
    /// The last checkpoint written or resumed from.
    public var lastCheckpoint: URL?
    /// The final model folder (`<output>/model`), written when all steps are done.
    public var finalModel: URL?
}

/// Trains a model with a `TrainingObjective` on tokenised examples: micro-batches with
/// gradient accumulation to the effective batch, global gradient-norm clipping, AdamW with a
/// learning-rate schedule, metrics per step, atomic checkpoints and exact resume.
///
/// Determinism: the data order comes from a seeded generator that is part of the checkpoint,
/// and every reduction has a fixed order, so the same seed and thread count give bit-identical
/// weights, and a resumed run matches an uninterrupted one.
public final class Trainer<Model: TrainableLanguageModel> {
    /// The model being trained.
    public let model: Model
    /// The kept examples, indexed like `reference`.
    public let examples: [TrainingExample]
    /// Reference log-probs of the examples (needed when the objective reads them).
    public let reference: ReferenceLogProbs?
    /// The settings.
    public let configuration: TrainerConfiguration
    /// Where metrics.jsonl, checkpoints and the final model go (nil: nothing is written).
    public let outputDirectory: URL?
    /// The optimizer (its moments are part of the checkpoint).
    public let optimizer: AdamWOptimizer
    /// The learning-rate schedule over `totalSteps`.
    public let schedule: LearningRateSchedule
    /// Total optimizer steps of the run.
    public let totalSteps: Int
    /// Optimizer steps done so far.
    public internal(set) var completedSteps = 0
    /// The last checkpoint written or resumed from.
    public internal(set) var lastCheckpoint: URL?

    let plan: BatchPlan
    let stepsPerEpoch: Int
    let examplesChecksum: String
    var epochIndex = 0
    var stepInEpoch = 0
    var order: [Int] = []
    var generator: SeededGenerator

    /// A trainer at step 0.
    /// - Throws: `TrainingError` if the configuration is invalid, there are no examples, the
    ///   objective needs losers or reference log-probs the data does not have.
    public init(model: Model, examples: [TrainingExample], reference: ReferenceLogProbs?,
                configuration: TrainerConfiguration, outputDirectory: URL?) throws {
        try configuration.validate()
        guard !examples.isEmpty else { throw TrainingError.invalidConfiguration("there are no training examples") }
        let objective = configuration.objective
        if objective.needsRejected, let sft = examples.first(where: { $0.rejected == nil }) {
            throw TrainingError.invalidConfiguration(
                "the objective needs preference pairs but the row at line \(sft.line) has no `rejected`; use --loss sft for prompt/completion data")
        }
        let checksum = Checksum.of(examples).hex
        if objective.needsReference {
            guard let reference else {
                throw TrainingError.invalidConfiguration("the objective needs reference log-probs; compute them with ReferenceLogProbs.compute")
            }
            guard reference.examplesChecksum == checksum, reference.chosen.count == examples.count,
                  reference.rejected.count == examples.count else {
                throw TrainingError.invalidConfiguration("the reference log-probs belong to other examples; recompute them for this data")
            }
        }
        self.model = model
        self.examples = examples
        self.reference = reference
        self.configuration = configuration
        self.outputDirectory = outputDirectory
        self.optimizer = AdamWOptimizer(count: model.parameterCount, configuration: configuration.optimizer)
        self.plan = configuration.batchPlan
        self.stepsPerEpoch = plan.stepsPerEpoch(exampleCount: examples.count)
        self.totalSteps = configuration.totalSteps(exampleCount: examples.count)
        self.schedule = LearningRateSchedule(kind: configuration.scheduleKind, peak: configuration.learningRate,
                                             warmupSteps: configuration.warmupSteps, totalSteps: totalSteps)
        self.examplesChecksum = checksum
        self.generator = SeededGenerator(seed: configuration.seed)
    }

    /// Runs steps until `totalSteps` or until `progress` says stop. Writes metrics.jsonl, a
    /// checkpoint every `checkpointEvery` steps and, when all steps are done, a final
    /// checkpoint and `<output>/model`.
    /// - Throws: `TrainingError.nonFinite` naming the step (parameters not updated, last
    ///   checkpoint intact), model and file errors.
    public func train(progress: (StepMetrics) throws -> TrainingDecision = { _ in .proceed }) throws -> TrainingSummary {
        var last: StepMetrics?
        while completedSteps < totalSteps {
            let metrics = try step()
            last = metrics
            try appendMetrics(metrics)
            let every = configuration.checkpointEvery
            if every > 0, completedSteps % every == 0, completedSteps < totalSteps {
                try writeCheckpoint()
            }
            if try progress(metrics) == .stop, completedSteps < totalSteps {
                return TrainingSummary(completedSteps: completedSteps, stoppedEarly: true, lastMetrics: last,
                                       lastCheckpoint: lastCheckpoint, finalModel: nil)
            }
        }
        var finalModel: URL?
        if let outputDirectory {
            if lastCheckpoint?.lastPathComponent != Self.checkpointName(step: completedSteps) { try writeCheckpoint() }
            finalModel = outputDirectory.appendingPathComponent("model")
            try saveModelAtomically(to: outputDirectory.appendingPathComponent("model"))
        }
        return TrainingSummary(completedSteps: completedSteps, stoppedEarly: false, lastMetrics: last,
                               lastCheckpoint: lastCheckpoint, finalModel: finalModel)
    }

    /// One optimizer step over the next effective batch.
    public func step() throws -> StepMetrics {
        let stepNumber = completedSteps + 1
        if stepInEpoch == 0 && order.isEmpty {
            order = BatchPlan.shuffledOrder(count: examples.count, generator: &generator)
        }
        let objective = configuration.objective
        let withRejected = objective.needsRejected
        let stepExamples = plan.stepExamples(order: order, stepInEpoch: stepInEpoch)
        let microBatches = plan.microBatches(of: stepExamples) { index in
            withRejected ? self.examples[index].maxLength : self.examples[index].chosenLength
        }
        model.zeroGradients()
        var scores: [PairScores] = []
        var loss = 0.0
        for microBatch in microBatches {
            let batchScores = try forward(microBatch, withRejected: withRejected, stepNumber: stepNumber)
            let evaluation = objective.evaluate(batchScores)
            guard evaluation.value.isFinite else {
                throw TrainingError.nonFinite(step: stepNumber, what: "the loss (\(evaluation.value))", checkpoint: lastCheckpoint?.path)
            }
            // Mean-over-pairs terms: weighting each micro-batch by its share of the step's pairs
            // gives exactly the mean over the effective batch.
            let weight = Double(microBatch.count) / Double(stepExamples.count)
            loss += weight * evaluation.value
            var dLogProbs = evaluation.dPolicyChosen.map { Float(weight * $0) }
            if withRejected { dLogProbs += evaluation.dPolicyRejected.map { Float(weight * $0) } }
            do {
                try model.backward(dLogProbs: dLogProbs)
            } catch {
                throw TrainingError.model("backward failed at step \(stepNumber): \(error)")
            }
            scores += batchScores
        }
        let gradNorm = GradientNorm.l2(model.gradientPointer, count: model.parameterCount)
        guard gradNorm.isFinite else {
            throw TrainingError.nonFinite(step: stepNumber, what: "the gradient (norm \(gradNorm))", checkpoint: lastCheckpoint?.path)
        }
        if configuration.maxGradNorm > 0 {
            GradientNorm.clip(model.gradientPointer, count: model.parameterCount, norm: gradNorm, maxNorm: configuration.maxGradNorm)
        }
        let learningRate = schedule.rate(afterCompletedSteps: completedSteps)
        optimizer.update(parameters: model.parameterPointer, gradients: model.gradientPointer, learningRate: Float(learningRate))
        completedSteps += 1
        stepInEpoch += 1
        if stepInEpoch == stepsPerEpoch {
            stepInEpoch = 0
            epochIndex += 1
            order = []
        }
        let epoch = Double(epochIndex) + Double(stepInEpoch) / Double(stepsPerEpoch)
        return StepMetrics(step: completedSteps, epoch: epoch, loss: loss, scores: scores, objective: objective,
                           learningRate: learningRate, gradNorm: gradNorm)
    }

    /// Forwards the winners (then the losers) of `microBatch` in one call and pairs the
    /// log-probs with the reference values.
    func forward(_ microBatch: [Int], withRejected: Bool, stepNumber: Int) throws -> [PairScores] {
        var sequences = microBatch.map { examples[$0].chosenSequence }
        if withRejected {
            for index in microBatch {
                guard let sequence = examples[index].rejectedSequence else {
                    throw TrainingError.invalidConfiguration("the example at line \(examples[index].line) has no `rejected`")
                }
                sequences.append(sequence)
            }
        }
        let logProbs: [Double]
        do {
            logProbs = try model.forward(sequences)
        } catch {
            throw TrainingError.model("forward failed at step \(stepNumber): \(error)")
        }
        precondition(logProbs.count == sequences.count, "the model returned \(logProbs.count) log-probs for \(sequences.count) sequences")
        if let bad = logProbs.firstIndex(where: { !$0.isFinite }) {
            let line = examples[microBatch[bad % microBatch.count]].line
            throw TrainingError.nonFinite(step: stepNumber, what: "the policy log-prob of the row at line \(line) (\(logProbs[bad]))",
                                          checkpoint: lastCheckpoint?.path)
        }
        return microBatch.enumerated().map { position, index in
            let example = examples[index]
            return PairScores(
                policyChosen: logProbs[position],
                policyRejected: withRejected ? logProbs[microBatch.count + position] : 0,
                referenceChosen: reference?.chosen[index] ?? 0,
                referenceRejected: reference?.rejected[index] ?? 0,
                chosenTokens: example.chosen.count,
                rejectedTokens: example.rejected?.count ?? 0)
        }
    }
}
