import Foundation
import IRPOTasks

/// The settings of `irpo demo --model smollm2`: Iterative RPO on a real pretrained model,
/// SmolLM2-135M-Instruct, asked the built-in synthetic word problems with the paper's GSM8K
/// instruction inside the model's chat template.
///
/// The task's difficulty was chosen on the dev split only, so that the seed model's greedy accuracy
/// is low but not zero and sampling finds correct and incorrect chains of thought for many questions
/// (see docs/real-model.md). The test split (1,000 questions whose problem structures never occur
/// in training or dev) is evaluated only by the final configuration.
public struct RealModelDemoSettings: Sendable, Equatable {
    /// Which winners the pairs use.
    public enum Variant: String, Sendable, CaseIterable {
        /// The gold solution joins the winners (the paper's GSM8K setup).
        case gold
        /// Only the model's own correct samples are winners (pure self-improvement).
        case selfGenerated = "self"
    }

    public var variant = Variant.gold
    public var iterations = 3
    /// Fresh training questions per iteration.
    public var questionsPerIteration = 120
    /// N, samples per question.
    public var samplesPerQuestion = 8
    /// Sampling temperature per iteration (the paper's 0.8 for iterations 1-2; a 135M model at
    /// 1.3 writes mostly noise, so 0.8 is kept).
    public var temperatures = [0.8]
    /// K, pairs per question.
    public var pairsPerQuestion = 2
    /// Chosen on dev (one iteration from M0 on the gold variant's pairs, greedy on 300 dev
    /// questions: 1e-5 80.3%, 3e-5 98.0%).
    public var learningRate = 3e-5
    /// The learning rate of iterations 2 and later (nil: `learningRate`). Chosen on dev from M1
    /// on its iteration-2 pairs (M1: 97.7%; 3e-5: 52.7%, 1e-5: 85.0%, 5e-6: 98.0%, 3e-6: 97.7%): a
    /// model that answers almost every dev question after iteration 1 is easily pushed off its
    /// arithmetic by the next pairs, which all come from the few questions it still misses.
    public var laterLearningRate: Double? = 5e-6
    /// Epochs over each iteration's pairs, by variant. The self-improvement variant has about a
    /// third of the gold variant's pairs in iteration 1 (only questions with a correct sample give
    /// any), and one epoch of them (5 steps) left M1 where M0 was on dev; three epochs took it from
    /// 16.3% to 34.7%. From iteration 2 its pairs grow with its accuracy (196 from 98 questions),
    /// and one epoch gives as many steps as three did on iteration 1's (docs/real-model.md).
    public var goldEpochs = 1
    public var selfIterationEpochs = [3, 1]
    /// The self-improvement variant's learning rate from iteration 2 on (nil: `laterLearningRate`),
    /// chosen on dev from its M1 on its iteration-2 pairs, one epoch (M1: 32.3%; 3e-5: 30.0%,
    /// 1e-5: 45.7%).
    public var selfLaterLearningRate: Double? = 1e-5
    public var alpha = 1.0
    public var beta = 0.1
    public var batchSize = 16
    public var devQuestions = 300
    public var testQuestions = 1000
    /// k of the majority vote in evaluation (0: greedy only).
    public var majorityK = 8
    /// The majority vote covers the first this many test questions. Eight samples of ~135-200
    /// tokens per question are most of an evaluation's decoding: on all 1,000 test questions it
    /// would take about 45 minutes per rambling model, and on 250 it kept the whole command above
    /// two hours. The paired interval of the targets is on greedy accuracy over all 1,000; maj@8
    /// on 100 questions is reported with its smaller sample. The dev split (used for choices) is
    /// decoded greedily only.
    public var majorityQuestions = 100
    public var maxNewTokens = 200
    /// Evaluate the dev split only (tuning runs).
    public var devOnly = false
    public var seed: UInt64 = 1
    public var threads: Int?
    /// The baselines' own settings, chosen on dev for each method from M0 on the gold variant's
    /// iteration-1 data (docs/real-model.md): SFT on gold 1e-5 (of 3e-6, 1e-5, 3e-5, 1e-4), SFT on
    /// chosen 1e-5 (of 3e-6, 1e-5, 3e-5, 1e-4), DPO 1e-5 with beta 0.1 (of beta 0.1 and 0.5).
    public var baselines: BaselineSettings = {
        var settings = BaselineSettings()
        settings.sftGold = BaselineSettings.Method(learningRate: 1e-5)
        settings.sftChosen = BaselineSettings.Method(learningRate: 1e-5)
        settings.dpo = BaselineSettings.Method(learningRate: 1e-5, beta: 0.1)
        return settings
    }()
    /// The task: one step of + or - (3:1) with common phrasings.
    public var task = SyntheticArithmeticConfig(steps: 1...1, addWeight: 3, subtractWeight: 1, multiplyWeight: 0,
                                                evaluationRarePhrasingProbability: 0)

    public init() {}

    /// The run config of this demo for the seed model folder `seedModel`.
    public func runConfig(seedModel: String) -> RunConfig {
        var config = RunConfig()
        config.name = "smollm2-\(variant.rawValue)"
        config.seedModel = seedModel
        config.seed = seed
        config.threads = threads
        config.iterations = iterations
        config.task.kind = TaskKind.syntheticArithmetic.rawValue
        config.task.prompt = TaskKind.gsm8k.rawValue
        config.task.chat = true
        config.task.reward = "gsm8k"
        config.task.synthetic = SyntheticTaskSettings(config: task)
        config.task.syntheticTrainQuestions = questionsPerIteration
        config.task.syntheticDevQuestions = devQuestions
        config.task.syntheticTestQuestions = testQuestions
        config.task.freshPoolPerIteration = true
        config.sampling.samplesPerQuestion = samplesPerQuestion
        config.sampling.temperatures = temperatures
        config.sampling.generation.maxNewTokens = maxNewTokens
        config.sampling.generation.seed = seed
        config.sampling.batchSize = 64
        config.pairs.pairsPerQuestion = pairsPerQuestion
        config.pairs.goldAsWinner = variant == .gold
        config.training.loss = .rpo
        config.training.alpha = alpha
        config.training.beta = beta
        config.training.trainer.learningRate = learningRate
        let later = variant == .gold ? laterLearningRate : selfLaterLearningRate ?? laterLearningRate
        config.training.iterationLearningRates = later.map { [learningRate, $0] }
        switch variant {
        case .gold:
            config.training.trainer.epochs = goldEpochs
        case .selfGenerated:
            config.training.trainer.epochs = selfIterationEpochs.first ?? 1
            config.training.iterationEpochs = selfIterationEpochs.count > 1 ? selfIterationEpochs : nil
        }
        config.training.trainer.batchSize = batchSize
        config.training.trainer.microBatchSize = 4
        config.training.trainer.maxLength = 512
        config.evaluation.splits = devOnly ? ["dev"] : ["dev", "test"]
        config.evaluation.majorityK = majorityK
        config.evaluation.majorityLimit = majorityQuestions
        config.evaluation.majoritySplits = devOnly ? [] : ["test"]
        config.evaluation.maxNewTokens = maxNewTokens
        config.baselines = baselines
        return config
    }
}
