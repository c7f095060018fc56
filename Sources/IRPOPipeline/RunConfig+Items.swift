import Foundation
import IRPOTasks

extension RunConfig {
    /// The synthetic task of this config (`task.synthetic`), or nil for a file task.
    public func syntheticTask() throws -> SyntheticArithmeticTask? {
        guard taskKind == .syntheticArithmetic else { return nil }
        return try SyntheticArithmeticTask(config: task.synthetic.config)
    }

    /// The questions of evaluation split `split` ("dev" or "test") as a run of this config
    /// evaluates them, before `evaluation.limit`: for the synthetic task the seeded draw of that
    /// partition, for a file task the file `task.dev` / `task.test`.
    public func evaluationItems(split: String) throws -> [TaskItem] {
        if let synthetic = try syntheticTask() {
            let count = split == "dev" ? task.syntheticDevQuestions : task.syntheticTestQuestions
            return try synthetic.generate(count: count, partition: split == "dev" ? .dev : .test, phrasing: .evaluation, seed: seed)
        }
        guard let path = split == "dev" ? task.dev : task.test else {
            throw PipelineError("no `task.\(split)` file is configured")
        }
        return try taskKind.loadItems(path: path)
    }

    /// The prompt a run of this config renders (`task.prompt`, `task.chat`) for `modelFolder`.
    public func promptFormatter(modelFolder: String) throws -> PromptFormatter {
        let template = try task.prompt.map { try TaskKind(named: $0).defaultPrompt } ?? taskKind.defaultPrompt
        return try PromptFormatter.load(template: template, chat: task.chat, modelFolder: URL(fileURLWithPath: modelFolder))
    }
}
