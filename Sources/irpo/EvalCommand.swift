import ArgumentParser
import Foundation
import IRPOBackends
import IRPOPipeline
import IRPOTasks

/// `irpo eval --model M --task KIND --data FILE`.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Greedy and majority-vote accuracy of a model on a task's questions.")

    @Option(name: .long, help: "Model folder (config.json, model.safetensors, tokenizer).")
    var model: String

    @Option(name: .long, help: "Task kind: gsm8k, arc, math, jsonl, synthetic-arithmetic.")
    var task: String

    @Option(name: .long, help: "Questions file (not needed for synthetic-arithmetic, which uses its test split).")
    var data: String?

    @Option(name: .long, help: "At most this many questions.")
    var limit: Int = 400

    @Option(name: .long, help: "k of majority vote (0: off).")
    var majorityK = 0

    @Option(name: .long, help: "Max new tokens.")
    var maxNewTokens = 512

    @Flag(name: .long, help: "Wrap each prompt as a user message in the model's chat template (instruct models).")
    var chat = false

    func validate() throws {
        try CommandLimits.check("--limit", limit, 1...PipelineLimits.maxQuestions)
        try CommandLimits.check("--majority-k", majorityK, 0...PipelineLimits.maxSamplesPerQuestion)
        try CommandLimits.check("--max-new-tokens", maxNewTokens, 1...PipelineLimits.maxSequenceTokens)
    }

    func run() throws {
        do {
            let kind = try TaskKind(named: task)
            let items: [TaskItem]
            if kind == .syntheticArithmetic {
                items = try SyntheticArithmeticTask().generate(count: limit, partition: .test, phrasing: .evaluation, seed: 0)
            } else {
                guard let data else { throw ValidationError("--data is required for task \(kind.rawValue)") }
                items = try kind.loadItems(path: data, limit: limit)
            }
            var settings = RunConfig.Evaluation()
            settings.majorityK = majorityK
            settings.maxNewTokens = maxNewTokens
            let backend = try LocalInferenceBackend(modelFolder: URL(fileURLWithPath: model), batchSize: 32, chatPrompts: chat)
            let prompt = try PromptFormatter.load(template: kind.defaultPrompt, chat: chat, modelFolder: URL(fileURLWithPath: model))
            let evaluator = Evaluator(reward: try RewardRegistry.standard.reward(named: kind.defaultRewardName), prompt: prompt,
                                      settings: settings, seed: 0,
                                      syntheticTask: kind == .syntheticArithmetic ? try SyntheticArithmeticTask() : nil)
            let printer = ProgressPrinter()
            let result = try evaluator.evaluate(items: items, split: "test", backend: backend) { printer.update($0, $1, $2) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            printer.line(String(decoding: try encoder.encode(result), as: UTF8.self))
        } catch let error as PipelineError {
            throw ValidationError(error.message)
        } catch let error as TaskError {
            throw ValidationError(error.description)
        }
    }
}
