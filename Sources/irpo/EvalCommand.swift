import ArgumentParser
import Foundation
import IRPOBackends
import IRPOLoading
import IRPOPipeline
import IRPOTasks
import IRPOTensor

/// `irpo eval --model M --task KIND --data FILE`, or `irpo eval --config RUN.yaml [--split dev]`.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Greedy and majority-vote accuracy of a model on a task's questions.",
        discussion: """
        With --config, the task, prompt, synthetic-task knobs and evaluation settings come from a run config, and the
        questions are the ones a run of that config evaluates (tune on --split dev; keep test for the final run).
        Example: irpo eval --model runs/demo/run/iter-3/model --task synthetic-arithmetic --limit 400 --majority-k 8
        Example: irpo eval --config examples/smollm2-synthetic.yaml --split dev --limit 300
        Example: irpo eval --model SmolLM2-135M-Instruct.Q4_1.gguf --task synthetic-arithmetic --prompt gsm8k --chat --synthetic steps=[1,2]
        """)

    @Option(name: .long, help: "Model: a Hugging Face folder, a .gguf file, or a folder holding one; default with --config: its seed_model.")
    var model: String?

    @Option(name: .long, help: "A run config (JSON or YAML): evaluate as a run of it would.")
    var config: String?

    @Option(name: .long, help: "Task kind: gsm8k, arc, math, jsonl, synthetic-arithmetic (without --config).")
    var task: String?

    @Option(name: .long, help: "Questions file (not needed for synthetic-arithmetic or with --config).")
    var data: String?

    @Option(name: .long, help: "Split of a --config or synthetic task: test or dev.")
    var split = "test"

    @Option(name: .long, help: "At most this many questions (default: 400 without --config, evaluation.limit with it).")
    var limit: Int?

    @Option(name: .long, help: "k of majority vote (0: off; default 0 without --config).")
    var majorityK: Int?

    @Option(name: .long, help: "Temperature of the majority-vote samples (default 0.8).")
    var majorityTemperature: Double?

    @Option(name: .long, help: "The same as --majority-temperature (evaluation.majority_temperature of a run).")
    var temperature: Double?

    @Option(name: .long, help: "A synthetic-task knob as KEY=VALUE (task.synthetic of a run, e.g. steps=[1,2]); repeatable.")
    var synthetic: [String] = []

    @Option(name: .long, help: "Max new tokens (default 512).")
    var maxNewTokens: Int?

    @Option(name: .long, help: "The built-in prompt to use, by task name (e.g. gsm8k's paper prompt for synthetic questions).")
    var prompt: String?

    @Flag(name: .long, help: "Wrap each prompt as a user message in the model's chat template (instruct models).")
    var chat = false

    @Option(name: .long, help: "Local engine batch size (KV-cache slots).")
    var batchSize: Int?

    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: "Write every greedy completion with its outcome to this JSONL file.")
    var completions: String?

    func validate() throws {
        try CommandLimits.check("--limit", limit, 1...PipelineLimits.maxQuestions)
        try CommandLimits.check("--majority-k", majorityK, 0...PipelineLimits.maxSamplesPerQuestion)
        try CommandLimits.check("--max-new-tokens", maxNewTokens, 1...PipelineLimits.maxSequenceTokens)
        try CommandLimits.check("--batch-size", batchSize, 1...PipelineLimits.maxSamplingBatchSize)
    }

    func run() throws {
        do {
            var run = try runConfig()
            if let threads = compute.threads { run.threads = threads }
            compute.context(fallback: run.threads).apply()
            guard ["dev", "test"].contains(split) else { throw ValidationError("--split must be dev or test, got \(split)") }
            let modelPath = model ?? run.seedModel
            guard !modelPath.isEmpty else { throw ValidationError("--model is required (or a --config with seed_model)") }
            let source = try ModelSource(path: modelPath)
            var items = try run.evaluationItems(split: split)
            if let limit = limit ?? run.evaluation.limit {
                guard limit >= 1 else { throw ValidationError("--limit must be >= 1, got \(limit)") }
                items = Array(items.prefix(limit))
            }
            let backend = try LocalInferenceBackend(source: source, batchSize: run.sampling.batchSize, chatPrompts: run.task.chat,
                                                    decodeWeights: run.sampling.weights)
            let reward = try RewardRegistry.standard.reward(named: run.task.reward ?? run.taskKind.defaultRewardName)
            var evaluator = Evaluator(reward: reward, prompt: try run.promptFormatter(modelFolder: modelPath),
                                      settings: run.evaluation, seed: run.seed, syntheticTask: try run.syntheticTask())
            let printer = ProgressPrinter()
            printer.line(GEMM.kernelReport())
            let start = Date()
            let saved = GreedyRecordCollector()
            if completions != nil { evaluator.onGreedyCompletion = saved.append }
            let result = try evaluator.evaluate(items: items, split: split, backend: backend) { printer.update($0, $1, $2) }
            if let completions { try JSONLines.encode(saved.rows).write(to: URL(fileURLWithPath: completions)) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            printer.line(String(decoding: try encoder.encode(result), as: UTF8.self))
            printer.line(String(format: "%d %@ questions in %.0f s", items.count, split, Date().timeIntervalSince(start)))
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        } catch let error as BackendError {
            throw ValidationError(error.message)
        } catch let error as ModelSourceError {
            throw ValidationError(error.message)
        } catch let error as TaskError {
            throw ValidationError(error.description)
        }
    }

    /// The run config this evaluation follows: `--config`, or one made from the flags.
    func runConfig() throws -> RunConfig {
        var run: RunConfig
        if let config {
            guard task == nil, data == nil else { throw ValidationError("--task and --data come from --config; pass one or the other") }
            run = try RunConfig(contentsOf: URL(fileURLWithPath: config))
        } else {
            guard let task else { throw ValidationError("pass --task KIND (or --config RUN.yaml)") }
            let kind = try TaskKind(named: task)
            run = RunConfig()
            run.task.kind = kind.rawValue
            if kind != .syntheticArithmetic {
                guard let data else { throw ValidationError("--data is required for task \(kind.rawValue)") }
                if split == "dev" { run.task.dev = data } else { run.task.test = data }
            }
            run.task.syntheticTestQuestions = limit ?? 400
            run.task.syntheticDevQuestions = limit ?? 400
            run.evaluation.limit = limit ?? 400
            run.evaluation.majorityK = 0
        }
        if let prompt { _ = try TaskKind(named: prompt); run.task.prompt = prompt }
        if chat { run.task.chat = true }
        if let majorityK {
            guard (0...1024).contains(majorityK) else { throw ValidationError("--majority-k must be within 0...1024, got \(majorityK)") }
            run.evaluation.majorityK = majorityK
        }
        if let majorityTemperature, let temperature, majorityTemperature != temperature {
            throw ValidationError("--temperature \(temperature) and --majority-temperature \(majorityTemperature) disagree; pass one of them")
        }
        if let value = majorityTemperature ?? temperature {
            guard value.isFinite, value > 0, value <= 10 else {
                throw ValidationError("--temperature must be a number in (0, 10], got \(value)")
            }
            run.evaluation.majorityTemperature = value
        }
        if !synthetic.isEmpty {
            guard run.taskKind == .syntheticArithmetic else {
                throw ValidationError("--synthetic sets knobs of the synthetic-arithmetic task; this evaluation's task is \(run.task.kind)")
            }
            run.task.synthetic = try SyntheticTaskSettings.applying(assignments: synthetic, to: run.task.synthetic.config)
        }
        if let maxNewTokens {
            guard (1...65_536).contains(maxNewTokens) else { throw ValidationError("--max-new-tokens must be within 1...65536, got \(maxNewTokens)") }
            run.evaluation.maxNewTokens = maxNewTokens
        }
        if let batchSize {
            guard (1...1024).contains(batchSize) else { throw ValidationError("--batch-size must be within 1...1024, got \(batchSize)") }
            run.sampling.batchSize = batchSize
        }
        return run
    }
}
