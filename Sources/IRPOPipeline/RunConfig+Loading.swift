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
        try Self.schema.read(&root, into: &config)
        config.sampling.generation.seed = config.seed
        try config.validate()
        self = config
    }

    /// Checks every value against its key's bounds (before any arithmetic uses it), the files
    /// the config names, and the settings that must agree across sections.
    /// - Throws: `PipelineError` naming the key and the value.
    public func validate() throws {
        try Self.schema.check(self, path: "")
    }

    /// `seed_model` exists: a folder (its contents are checked when the run loads it) or a GGUF file.
    func checkSeedModel(path: String) throws {
        guard !seedModel.isEmpty else {
            throw configValueError(path, "\"\"", "the path of a model folder (config.json + model.safetensors + tokenizer) or a .gguf file")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: seedModel, isDirectory: &isFolder) else {
            throw configValueError(path, "\"\(seedModel)\"", "an existing model folder or .gguf file; the path does not exist")
        }
        if !isFolder.boolValue {
            do { _ = try ModelSource(path: seedModel) } catch { throw PipelineError("config key `\(path)`: \(error)") }
        }
    }

    /// Whether the seed model is a GGUF file (or a folder holding one).
    var seedIsGGUF: Bool { (try? ModelSource(path: seedModel))?.format == .gguf }

    /// The checks that involve keys of more than one section.
    func checkAcrossSections() throws {
        if seedIsGGUF, trainer.type == .external {
            throw configValueError("seed_model", "\"\(seedModel)\"", "a Hugging Face model folder with `trainer.type: external` (external trainers read safetensors; convert the GGUF first with `irpo convert \(seedModel) FOLDER`)")
        }
        if training.selectionQuestions > 0, trainer.type == .external {
            throw configValueError("training.selection_questions", training.selectionQuestions,
                                   "0 with `trainer.type: external` (checkpoint selection needs the built-in trainer's steps)")
        }
        if training.lora != nil, trainer.type == .external {
            throw configValueError("training.lora", "{...}", "no `training.lora` with `trainer.type: external` (the external command trains on its own)")
        }
        if training.gradientCheckpointing, trainer.type == .external {
            throw configValueError("training.gradient_checkpointing", true, "false with `trainer.type: external` (the external command trains on its own; set it there)")
        }
        do { try trainerConfiguration(pairCount: 1).validate() } catch { throw PipelineError("config section `training`: \(error)") }
        if evaluation.splits.contains("dev"), taskKind != .syntheticArithmetic, task.dev == nil {
            throw configValueError("evaluation.splits", "\"dev\"", "a `task.dev` file to evaluate the dev split")
        }
        try validateBackendAndTrainer()
    }

    /// The trainer settings of one iteration with `pairCount` pairs: `epochs` epochs, at most
    /// `max_steps` steps.
    public func trainerConfiguration(pairCount: Int, iteration t: Int = 1) -> TrainerConfiguration {
        // The shared settings as the file gives them; the rest resolved for iteration t.
        var configuration = training.trainer
        let normalization = training.nllNormalization
        switch training.loss {
        case .dpo: configuration.objective = .dpo(beta: training.beta)
        case .sft: configuration.objective = .sft(normalization: normalization)
        case .rpo: configuration.objective = .rpo(alpha: training.alpha, beta: training.beta, nllNormalization: normalization)
        }
        configuration.learningRate = learningRate(iteration: t)
        configuration.epochs = epochs(iteration: t)
        configuration.optimizer.weightDecay = Float(training.weightDecay)
        configuration.maxSteps = nil
        configuration.seed = seed
        let epochSteps = configuration.totalSteps(exampleCount: max(1, pairCount))
        configuration.maxSteps = min(epochSteps, training.maxSteps)
        return configuration
    }

    /// The peak learning rate of iteration `t` (1-based): `training.iteration_learning_rates`
    /// when set (its last rate repeats), else `training.learning_rate`.
    public func learningRate(iteration t: Int) -> Double {
        Self.entry(of: training.iterationLearningRates, iteration: t) ?? training.trainer.learningRate
    }

    /// The epochs of iteration `t` (1-based): `training.iteration_epochs` when set (its last
    /// count repeats), else `training.epochs`.
    public func epochs(iteration t: Int) -> Int {
        Self.entry(of: training.iterationEpochs, iteration: t) ?? training.trainer.epochs
    }

    /// Entry `min(t, count)` of a per-iteration list (the last repeats); nil for no list or an empty one.
    private static func entry<T>(of list: [T]?, iteration t: Int) -> T? {
        guard let list, !list.isEmpty else { return nil }
        return list[min(max(t, 1), list.count) - 1]
    }

    /// The task kind (validated).
    public var taskKind: TaskKind { (try? TaskKind(named: task.kind)) ?? .gsm8k }
}
