import Foundation
import IRPOModel
import IRPOTasks
import IRPOTensor
import IRPOTokenizer
import IRPOTraining

/// `irpo demo`: trains M0 from scratch (SFT on gold chains of thought of the synthetic task, loss
/// on the completion only), then runs `IterativeRun` with the RPO loss on fresh training
/// questions, using only their final answers, and evaluates every iteration on dev and test.
public struct Demo {
    public var settings: DemoSettings
    public var log: (String) -> Void
    public var progress: (String, Int, Int) -> Void
    /// The methods compared after M0 (the paper's Table 1): the iteration-1 baselines train on RPO
    /// iteration 1's pairs in `<output>/run/baselines/<name>`.
    public var baselines: [Baseline] = [.zeroShot, .sftChosen, .dpo, .rpo]
    /// Called at every interruption point (tests); see `IterativeRun.interruption`.
    public var interruption: (RunInterruptionPoint) throws -> Void = { _ in }

    public init(settings: DemoSettings, log: @escaping (String) -> Void = { _ in },
                progress: @escaping (String, Int, Int) -> Void = { _, _, _ in }) {
        self.settings = settings
        self.log = log
        self.progress = progress
    }

    /// `<output>/m0/model`.
    public static func seedModelFolder(output: URL) -> URL { output.appendingPathComponent("m0/model") }
    /// `<output>/run`.
    public static func runFolder(output: URL) -> URL { output.appendingPathComponent("run") }

    /// The model architecture for a vocabulary of `vocabularySize`.
    public func modelConfiguration(tokenizer: CharacterTokenizer) -> LlamaConfiguration {
        LlamaConfiguration(vocabularySize: tokenizer.vocabularySize, hiddenSize: settings.hiddenSize,
                           intermediateSize: settings.intermediateSize, layerCount: settings.layers, attentionHeads: settings.heads,
                           maxPositionEmbeddings: 256, tieWordEmbeddings: true, bosTokenID: Int(tokenizer.bos),
                           eosTokenIDs: [Int(tokenizer.eos)])
    }

    /// Runs (or resumes) the demo in `output`: M0, the RPO iterations, then the baselines.
    /// - Returns: the RPO run's evaluations (M0 first).
    @discardableResult
    public func run(output: URL) throws -> [IterationEvaluation] {
        log(GEMM.kernelReport())
        let seedFolder = Self.seedModelFolder(output: output)
        if !FileManager.default.fileExists(atPath: seedFolder.appendingPathComponent("config.json").path) {
            try trainSeedModel(output: output)
        } else {
            log("m0: done earlier, skipped")
        }
        var comparison = Comparison(config: runConfig(seedModel: seedFolder), baselines: baselines, directory: Self.runFolder(output: output),
                                    log: log, progress: progress)
        comparison.interruption = interruption
        let table = try comparison.run(resume: true)
        for line in table.markdown().split(separator: "\n") { log(String(line)) }
        return try RunReport(directory: Self.runFolder(output: output)).evaluations
    }

    /// The RunConfig of the RPO iterations.
    public func runConfig(seedModel: URL) -> RunConfig {
        var config = RunConfig()
        config.name = "demo"
        config.seedModel = seedModel.path
        config.seed = settings.seed
        config.threads = settings.threads
        config.iterations = settings.iterations
        config.task.kind = TaskKind.syntheticArithmetic.rawValue
        config.task.syntheticTrainQuestions = settings.questionsPerIteration
        config.task.syntheticDevQuestions = settings.devQuestions
        config.task.syntheticTestQuestions = settings.testQuestions
        config.task.freshPoolPerIteration = true
        config.sampling.samplesPerQuestion = settings.samplesPerQuestion
        config.sampling.temperatures = [settings.temperature]
        config.sampling.generation.maxNewTokens = 64
        config.sampling.generation.seed = settings.seed
        config.sampling.batchSize = 64
        config.pairs.pairsPerQuestion = settings.pairsPerQuestion
        // By default only final answers: the gold chain of thought is not used after M0.
        config.pairs.goldAsWinner = settings.goldAsWinner
        config.training.loss = .rpo
        config.training.alpha = settings.alpha
        config.training.beta = settings.beta
        config.training.nllNormalization = settings.nllNormalization
        config.training.trainer.epochs = settings.rpoEpochs
        config.training.trainer.learningRate = settings.rpoLearningRate
        config.training.trainer.batchSize = settings.rpoBatchSize
        config.training.trainer.microBatchSize = min(8, settings.rpoBatchSize)
        config.training.trainer.maxLength = 256
        config.training.selectionQuestions = settings.selectionQuestions
        config.training.selectionEvery = settings.selectionEvery
        config.evaluation.splits = settings.devOnly ? ["dev"] : ["dev", "test"]
        config.task.synthetic.config.partitionSalt = settings.partitionSalt
        config.baselines.dpo = BaselineSettings.Method(learningRate: settings.dpoLearningRate, beta: settings.dpoBeta)
        config.baselines.sftChosen = BaselineSettings.Method(learningRate: settings.sftChosenLearningRate)
        config.evaluation.majorityK = settings.majorityK
        config.evaluation.maxNewTokens = 64
        return config
    }

    /// M0: a fresh model trained on gold chains of thought -> `<output>/m0/model`.
    func trainSeedModel(output: URL) throws {
        let start = Date()
        let task = try SyntheticArithmeticTask(config: SyntheticArithmeticConfig(trainingRarePhrasingProbability: settings.sftRarePhrasingProbability,
                                                                                  partitionSalt: settings.partitionSalt))
        let tokenizer = CharacterTokenizer()
        let items = try task.generate(count: settings.sftExamples, partition: .train, phrasing: .training, seed: settings.seed &+ 10_000)
        let prompt = task.prompt
        let examples = items.enumerated().map { index, item in
            TrainingExample(line: index + 1, prompt: tokenizer.encodePrompt(prompt.render(item: item)),
                            chosen: tokenizer.encodeCompletion(prompt.completionSeparator + (item.goldSolution ?? "")), rejected: nil)
        }
        let model = try LlamaModel(configuration: modelConfiguration(tokenizer: tokenizer), seed: settings.seed)
        var configuration = TrainerConfiguration()
        configuration.objective = .sft(normalization: .perToken)
        configuration.learningRate = settings.sftLearningRate
        configuration.scheduleKind = .cosine
        configuration.warmupSteps = max(1, settings.sftSteps / 20)
        configuration.batchSize = settings.sftBatchSize
        configuration.microBatchSize = min(16, settings.sftBatchSize)
        configuration.maxSteps = settings.sftSteps
        configuration.optimizer.weightDecay = 0.01
        configuration.maxLength = 256
        configuration.seed = settings.seed
        let trainFolder = output.appendingPathComponent("m0/train")
        try? FileManager.default.removeItem(at: trainFolder)
        let trainer = try Trainer(model: LlamaTrainingModel(model), examples: examples, reference: nil,
                                  configuration: configuration, outputDirectory: trainFolder)
        let summary = try trainer.train { metrics in
            progress("m0 sft", metrics.step, settings.sftSteps)
            return .proceed
        }
        let trained = trainFolder.appendingPathComponent("model")
        try tokenizer.save(inFolder: trained)
        let seedFolder = Self.seedModelFolder(output: output)
        try? FileManager.default.removeItem(at: seedFolder)
        try FileManager.default.copyItem(at: trained, to: seedFolder)
        let loss = summary.lastMetrics.map { String(format: "%.4f", $0.loss) } ?? "-"
        log("m0: \(model.parameterCount) parameters, SFT on \(examples.count) gold CoTs, \(summary.completedSteps) steps, last loss \(loss) "
            + "(\(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
    }
}
