import Foundation
import IRPOBackends
import IRPOGeneration
import IRPOLoading
import IRPOTasks
import IRPOTraining

extension RunConfig {
    /// Reads and validates a config file.
    /// - Throws: `PipelineError` naming the file, or the key and value at fault.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw PipelineError("config file \(url.path) does not exist; check the path (see examples/ for configs)")
        }
        // Reads at most one byte past the size limit, so a huge file (or a device) is refused
        // without being read into memory.
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            data = try handle.read(upToCount: PipelineLimits.maxConfigBytes + 1) ?? Data()
        } catch {
            throw PipelineError("cannot read config file \(url.path) (\(error.localizedDescription))")
        }
        if data.count > PipelineLimits.maxConfigBytes {
            throw PipelineError("config file \(url.path) is larger than the limit of \(PipelineLimits.maxConfigBytes) bytes; a run config is a few kilobytes, so check that this is the right file")
        }
        try self.init(json: data, file: url.path)
    }

    /// Parses config bytes (every key optional) and validates the result: YAML when `file` ends in
    /// `.yaml`/`.yml` (same keys and checks), JSON otherwise.
    public init(json data: Data, file: String = "config") throws {
        var root = try ConfigReader.parse(data, file: file)
        var config = RunConfig()
        config.name = try root.string("name", default: config.name)
        config.seedModel = try root.string("seed_model", default: config.seedModel)
        config.iterations = try root.int("iterations", default: config.iterations)
        config.threads = try root.optionalInt("threads")
        let seed = try root.int("seed", default: 0)
        guard seed >= 0 else { throw PipelineError("config key `seed` has value \(seed), expected an integer >= 0") }
        config.seed = UInt64(seed)

        var task = try root.section("task")
        config.task.kind = try task.string("kind", default: config.task.kind)
        config.task.train = try task.optionalString("train")
        config.task.test = try task.optionalString("test")
        config.task.dev = try task.optionalString("dev")
        config.task.reward = try task.optionalString("reward")
        config.task.trainLimit = try task.optionalInt("train_limit")
        config.task.syntheticTrainQuestions = try task.int("synthetic_train_questions", default: config.task.syntheticTrainQuestions)
        config.task.syntheticTestQuestions = try task.int("synthetic_test_questions", default: config.task.syntheticTestQuestions)
        config.task.syntheticDevQuestions = try task.int("synthetic_dev_questions", default: config.task.syntheticDevQuestions)
        config.task.freshPoolPerIteration = try task.bool("fresh_pool_per_iteration", default: config.task.freshPoolPerIteration)
        var synthetic = try task.section("synthetic")
        config.task.synthetic = try SyntheticTaskSettings.read(&synthetic)
        config.task.chat = try task.bool("chat", default: config.task.chat)
        config.task.prompt = try task.optionalString("prompt")
        try task.rejectUnknownKeys()

        var sampling = try root.section("sampling")
        let s = config.sampling
        config.sampling.samplesPerQuestion = try sampling.int("samples_per_question", default: s.samplesPerQuestion)
        config.sampling.temperatures = try sampling.doubles("temperatures", default: s.temperatures)
        config.sampling.batchSize = try sampling.int("batch_size", default: s.batchSize)
        config.sampling.generation.topP = Float(try sampling.double("top_p", default: Double(s.generation.topP)))
        config.sampling.generation.topK = try sampling.int("top_k", default: s.generation.topK)
        config.sampling.generation.minP = Float(try sampling.double("min_p", default: Double(s.generation.minP)))
        config.sampling.generation.maxNewTokens = try sampling.int("max_new_tokens", default: s.generation.maxNewTokens)
        config.sampling.generation.stop = try sampling.strings("stop", default: s.generation.stop)
        config.sampling.generation.seed = config.seed
        var backend = try sampling.section("backend")
        config.sampling.backend = try SamplingBackend.read(&backend)
        try sampling.rejectUnknownKeys()

        var pairs = try root.section("pairs")
        config.pairs.pairsPerQuestion = try pairs.int("pairs_per_question", default: config.pairs.pairsPerQuestion)
        config.pairs.goldAsWinner = try pairs.bool("gold_as_winner", default: config.pairs.goldAsWinner)
        config.pairs.maxPairs = try pairs.int("max_pairs", default: config.pairs.maxPairs)
        try pairs.rejectUnknownKeys()

        var training = try root.section("training")
        let t = config.training
        config.training.loss = try training.choice("loss", default: t.loss)
        config.training.alpha = try training.double("alpha", default: t.alpha)
        config.training.beta = try training.double("beta", default: t.beta)
        config.training.nllNormalization = try training.choice("nll_normalization", default: t.nllNormalization)
        config.training.learningRate = try training.double("learning_rate", default: t.learningRate)
        config.training.iterationLearningRates = try training.optionalDoubles("iteration_learning_rates")
        config.training.schedule = try training.choice("schedule", default: t.schedule)
        config.training.warmupSteps = try training.int("warmup_steps", default: t.warmupSteps)
        config.training.batchSize = try training.int("batch_size", default: t.batchSize)
        config.training.microBatchSize = try training.int("micro_batch_size", default: t.microBatchSize)
        config.training.epochs = try training.int("epochs", default: t.epochs)
        config.training.maxSteps = try training.int("max_steps", default: t.maxSteps)
        config.training.maxGradNorm = try training.double("max_grad_norm", default: t.maxGradNorm)
        config.training.weightDecay = try training.double("weight_decay", default: t.weightDecay)
        config.training.maxLength = try training.int("max_length", default: t.maxLength)
        config.training.checkpointEvery = try training.int("checkpoint_every", default: t.checkpointEvery)
        config.training.selectionQuestions = try training.int("selection_questions", default: t.selectionQuestions)
        config.training.selectionEvery = try training.int("selection_every", default: t.selectionEvery)
        config.training.lora = try LoRASettings.read(&training, key: "lora")
        try training.rejectUnknownKeys()

        var evaluation = try root.section("evaluation")
        let e = config.evaluation
        config.evaluation.greedy = try evaluation.bool("greedy", default: e.greedy)
        config.evaluation.majorityK = try evaluation.int("majority_k", default: e.majorityK)
        config.evaluation.majorityTemperature = try evaluation.double("majority_temperature", default: e.majorityTemperature)
        config.evaluation.limit = try evaluation.optionalInt("limit")
        config.evaluation.majorityLimit = try evaluation.optionalInt("majority_limit")
        config.evaluation.majoritySplits = try evaluation.optionalStrings("majority_splits")
        config.evaluation.maxNewTokens = try evaluation.int("max_new_tokens", default: e.maxNewTokens)
        config.evaluation.splits = try evaluation.strings("splits", default: e.splits)
        config.evaluation.evaluateSeedModel = try evaluation.bool("evaluate_seed_model", default: e.evaluateSeedModel)
        try evaluation.rejectUnknownKeys()

        var trainer = try root.section("trainer")
        config.trainer = try TrainerSettings.read(&trainer)
        var baselines = try root.section("baselines")
        config.baselines = try BaselineSettings.read(&baselines)
        var output = try root.section("output")
        config.output = try OutputSettings.read(&output)

        try root.rejectUnknownKeys()
        try config.validate()
        self = config
    }

    /// Checks every value (and that the files it names exist).
    /// - Throws: `PipelineError` naming the key and the value.
    public func validate() throws {
        func fail(_ key: String, _ value: Any, _ expected: String) -> PipelineError {
            PipelineError("config key `\(key)` has value \(value), expected \(expected)")
        }
        guard !name.isEmpty, !name.contains("/") else { throw fail("name", "\"\(name)\"", "a non-empty name without '/'") }
        guard !seedModel.isEmpty else { throw fail("seed_model", "\"\"", "the path of a model folder (config.json + model.safetensors + tokenizer) or a .gguf file") }
        var seedIsFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: seedModel, isDirectory: &seedIsFolder) else {
            throw fail("seed_model", "\"\(seedModel)\"", "an existing model folder or .gguf file; the path does not exist")
        }
        // A file must be a GGUF now; a folder's contents are checked when the run loads it.
        let seedIsGGUF: Bool
        if seedIsFolder.boolValue {
            seedIsGGUF = (try? ModelSource(path: seedModel))?.format == .gguf
        } else {
            do { _ = try ModelSource(path: seedModel) } catch { throw PipelineError("config key `seed_model`: \(error)") }
            seedIsGGUF = true
        }
        let kind: TaskKind
        do { kind = try TaskKind(named: task.kind) } catch {
            throw PipelineError("config key `task.kind`: \(error)")
        }
        if kind != .syntheticArithmetic {
            guard let train = task.train else { throw fail("task.train", "null", "the path of the training questions for task \(kind.rawValue)") }
            guard let test = task.test else { throw fail("task.test", "null", "the path of the test questions for task \(kind.rawValue)") }
            for (key, path) in [("task.train", train), ("task.test", test)] + (task.dev.map { [("task.dev", $0)] } ?? [])
            where !FileManager.default.fileExists(atPath: path) {
                throw fail(key, "\"\(path)\"", "an existing file; the path does not exist")
            }
        } else {
            for (key, value) in [("task.synthetic_train_questions", task.syntheticTrainQuestions),
                                 ("task.synthetic_test_questions", task.syntheticTestQuestions)] where value < 1 {
                throw fail(key, value, "an integer >= 1")
            }
            guard task.syntheticDevQuestions >= 0 else { throw fail("task.synthetic_dev_questions", task.syntheticDevQuestions, "an integer >= 0") }
            try task.synthetic.validate()
        }
        if let prompt = task.prompt {
            do { _ = try TaskKind(named: prompt) } catch {
                throw PipelineError("config key `task.prompt`: \(error)")
            }
        }
        if let reward = task.reward {
            do { _ = try RewardRegistry.standard.reward(named: reward) } catch {
                throw PipelineError("config key `task.reward`: \(error)")
            }
        }
        if let limit = task.trainLimit, limit < 1 { throw fail("task.train_limit", limit, "an integer >= 1 (or null for all)") }
        guard sampling.samplesPerQuestion >= 1 else { throw fail("sampling.samples_per_question", sampling.samplesPerQuestion, "an integer >= 1") }
        guard !sampling.temperatures.isEmpty else { throw fail("sampling.temperatures", "[]", "at least one temperature") }
        for value in sampling.temperatures where !(value.isFinite && value >= 0 && value <= 10) {
            throw fail("sampling.temperatures", value, "temperatures in 0...10")
        }
        guard sampling.batchSize >= 1 else { throw fail("sampling.batch_size", sampling.batchSize, "an integer >= 1") }
        do { try sampling.generation.validate() } catch { throw PipelineError("config section `sampling`: \(error)") }
        guard sampling.generation.maxNewTokens >= 1 else { throw fail("sampling.max_new_tokens", sampling.generation.maxNewTokens, "an integer >= 1") }
        guard pairs.pairsPerQuestion >= 1 else { throw fail("pairs.pairs_per_question", pairs.pairsPerQuestion, "an integer >= 1") }
        guard pairs.maxPairs >= 1 else { throw fail("pairs.max_pairs", pairs.maxPairs, "an integer >= 1") }
        guard training.alpha.isFinite, training.alpha >= 0 else { throw fail("training.alpha", training.alpha, "a number >= 0") }
        guard training.beta.isFinite, training.beta > 0 else { throw fail("training.beta", training.beta, "a number > 0") }
        guard training.learningRate.isFinite, training.learningRate > 0, training.learningRate < 1 else {
            throw fail("training.learning_rate", training.learningRate, "a number in (0, 1)")
        }
        if let rates = training.iterationLearningRates {
            guard (1...PipelineLimits.maxIterations).contains(rates.count) else {
                throw fail("training.iteration_learning_rates", "a list of \(rates.count)", "1 to \(PipelineLimits.maxIterations) learning rates (or null)")
            }
            for rate in rates where !(rate.isFinite && rate > 0 && rate < 1) {
                throw fail("training.iteration_learning_rates", rate, "learning rates in (0, 1)")
            }
        }
        try baselines.validate()
        try output.validate()
        guard training.maxSteps >= 1 else { throw fail("training.max_steps", training.maxSteps, "an integer >= 1") }
        guard training.maxLength >= 8 else { throw fail("training.max_length", training.maxLength, "an integer >= 8") }
        guard training.selectionQuestions >= 0 else {
            throw fail("training.selection_questions", training.selectionQuestions, "an integer >= 0 (0: M_t is the last step)")
        }
        guard training.selectionEvery >= 1 else { throw fail("training.selection_every", training.selectionEvery, "an integer >= 1") }
        if seedIsGGUF, trainer.type == .external {
            throw fail("seed_model", "\"\(seedModel)\"", "a Hugging Face model folder with `trainer.type: external` (external trainers read safetensors; convert the GGUF first with `irpo convert \(seedModel) FOLDER`)")
        }
        if training.selectionQuestions > 0, trainer.type == .external {
            throw fail("training.selection_questions", training.selectionQuestions,
                       "0 with `trainer.type: external` (checkpoint selection needs the built-in trainer's steps)")
        }
        if let lora = training.lora {
            _ = try lora.configuration()
            if trainer.type == .external {
                throw fail("training.lora", "{...}", "no `training.lora` with `trainer.type: external` (the external command trains on its own)")
            }
        }
        // Every count is bounded before the trainer's arithmetic (steps per epoch) runs.
        try validateCounts()
        do { try trainerConfiguration(pairCount: 1).validate() } catch { throw PipelineError("config section `training`: \(error)") }

        guard evaluation.majorityK >= 0 else { throw fail("evaluation.majority_k", evaluation.majorityK, "an integer >= 0 (0 disables majority vote)") }
        guard evaluation.majorityTemperature.isFinite, evaluation.majorityTemperature > 0 else {
            throw fail("evaluation.majority_temperature", evaluation.majorityTemperature, "a number > 0")
        }
        guard evaluation.greedy || evaluation.majorityK > 0 else { throw fail("evaluation.greedy", false, "true when majority_k is 0 (nothing to evaluate)") }
        if let limit = evaluation.limit, limit < 1 { throw fail("evaluation.limit", limit, "an integer >= 1 (or null for all)") }
        if let limit = evaluation.majorityLimit, limit < 1 { throw fail("evaluation.majority_limit", limit, "an integer >= 1 (or null for all)") }
        guard evaluation.maxNewTokens >= 1 else { throw fail("evaluation.max_new_tokens", evaluation.maxNewTokens, "an integer >= 1") }
        for split in evaluation.splits where !["test", "dev"].contains(split) {
            throw fail("evaluation.splits", "\"\(split)\"", "\"test\" and/or \"dev\"")
        }
        for split in evaluation.majoritySplits ?? [] where !evaluation.splits.contains(split) {
            throw fail("evaluation.majority_splits", "\"\(split)\"", "splits listed in `evaluation.splits` (\(evaluation.splits.joined(separator: ", ")))")
        }
        if evaluation.splits.contains("dev"), kind != .syntheticArithmetic, task.dev == nil {
            throw fail("evaluation.splits", "\"dev\"", "a `task.dev` file to evaluate the dev split")
        }
        if let threads, threads < 1 { throw fail("threads", threads, "an integer >= 1 (or null for all cores)") }
        try validateBackendAndTrainer()
    }

    /// Checks every count and size against its bound in `PipelineLimits` (before any arithmetic
    /// uses them).
    /// - Throws: `PipelineError` naming the key, the value and the bound.
    func validateCounts() throws {
        func check(_ key: String, _ value: Int, _ range: ClosedRange<Int>, _ note: String = "") throws {
            guard range.contains(value) else {
                throw PipelineError("config key `\(key)` has value \(value), expected an integer in \(range.lowerBound)...\(range.upperBound)\(note)")
            }
        }
        typealias L = PipelineLimits
        try check("iterations", iterations, 1...L.maxIterations)
        if let threads { try check("threads", threads, 1...L.maxThreads, " (or null for all cores)") }
        try check("task.synthetic_train_questions", task.syntheticTrainQuestions, 1...L.maxQuestions)
        try check("task.synthetic_test_questions", task.syntheticTestQuestions, 1...L.maxQuestions)
        try check("task.synthetic_dev_questions", task.syntheticDevQuestions, 0...L.maxQuestions)
        if let limit = task.trainLimit { try check("task.train_limit", limit, 1...L.maxQuestions, " (or null for all)") }
        try check("sampling.samples_per_question", sampling.samplesPerQuestion, 1...L.maxSamplesPerQuestion)
        try check("sampling.batch_size", sampling.batchSize, 1...L.maxSamplingBatchSize)
        try check("sampling.top_k", sampling.generation.topK, 0...L.maxTopK, " (0 = off)")
        try check("sampling.max_new_tokens", sampling.generation.maxNewTokens, 1...L.maxSequenceTokens)
        try check("pairs.pairs_per_question", pairs.pairsPerQuestion, 1...L.maxPairsPerQuestion)
        try check("pairs.max_pairs", pairs.maxPairs, 1...L.maxPairs)
        try check("training.warmup_steps", training.warmupSteps, 0...L.maxSteps)
        try check("training.batch_size", training.batchSize, 1...L.maxTrainingBatchSize)
        try check("training.micro_batch_size", training.microBatchSize, 1...L.maxTrainingBatchSize)
        try check("training.epochs", training.epochs, 1...L.maxEpochs)
        try check("training.max_steps", training.maxSteps, 1...L.maxSteps)
        try check("training.max_length", training.maxLength, 8...L.maxSequenceTokens)
        try check("training.checkpoint_every", training.checkpointEvery, 0...L.maxSteps, " (0 = off)")
        try check("training.selection_questions", training.selectionQuestions, 0...L.maxQuestions, " (0: M_t is the last step)")
        try check("training.selection_every", training.selectionEvery, 1...L.maxSteps)
        try check("evaluation.majority_k", evaluation.majorityK, 0...L.maxSamplesPerQuestion, " (0 disables majority vote)")
        if let limit = evaluation.limit { try check("evaluation.limit", limit, 1...L.maxQuestions, " (or null for all)") }
        if let limit = evaluation.majorityLimit { try check("evaluation.majority_limit", limit, 1...L.maxQuestions, " (or null for all)") }
        try check("evaluation.max_new_tokens", evaluation.maxNewTokens, 1...L.maxSequenceTokens)
        let backend = sampling.backend
        try check("sampling.backend.max_concurrency", backend.maxConcurrency, 1...BackendLimits.maxConcurrency)
        try check("sampling.backend.max_retries", backend.maxRetries, 0...BackendLimits.maxRetries)
        for (key, seconds) in [("sampling.backend.timeout_seconds", backend.timeoutSeconds),
                               ("trainer.server_reload.timeout_seconds", trainer.serverReload?.timeoutSeconds ?? 1)]
        where !(seconds.isFinite && seconds > 0 && seconds <= BackendLimits.maxTimeoutSeconds) {
            throw PipelineError("config key `\(key)` has value \(seconds), expected a number > 0 and <= \(BackendLimits.maxTimeoutSeconds)")
        }
    }

    /// The trainer settings of one iteration with `pairCount` pairs: `epochs` epochs, at most
    /// `max_steps` steps.
    public func trainerConfiguration(pairCount: Int, iteration t: Int = 1) -> TrainerConfiguration {
        var configuration = TrainerConfiguration()
        let normalization = training.nllNormalization
        switch training.loss {
        case .dpo: configuration.objective = .dpo(beta: training.beta)
        case .sft: configuration.objective = .sft(normalization: normalization)
        case .rpo: configuration.objective = .rpo(alpha: training.alpha, beta: training.beta, nllNormalization: normalization)
        }
        configuration.learningRate = learningRate(iteration: t)
        configuration.scheduleKind = training.schedule
        configuration.warmupSteps = training.warmupSteps
        configuration.batchSize = training.batchSize
        configuration.microBatchSize = training.microBatchSize
        configuration.epochs = training.epochs
        configuration.optimizer.weightDecay = Float(training.weightDecay)
        configuration.maxGradNorm = training.maxGradNorm
        configuration.maxLength = training.maxLength
        configuration.checkpointEvery = training.checkpointEvery
        configuration.seed = seed
        let epochSteps = configuration.totalSteps(exampleCount: max(1, pairCount))
        configuration.maxSteps = min(epochSteps, training.maxSteps)
        return configuration
    }

    /// The peak learning rate of iteration `t` (1-based): `training.iteration_learning_rates`
    /// when set (its last rate repeats), else `training.learning_rate`.
    public func learningRate(iteration t: Int) -> Double {
        guard let rates = training.iterationLearningRates, !rates.isEmpty else { return training.learningRate }
        return rates[min(max(t, 1), rates.count) - 1]
    }

    /// The task kind (validated).
    public var taskKind: TaskKind { (try? TaskKind(named: task.kind)) ?? .gsm8k }
}
