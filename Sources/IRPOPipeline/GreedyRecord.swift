import IRPOTasks

/// One greedy evaluation completion, as written to `iter-<t>/greedy-<split>.jsonl`: what the model
/// answered to each question, so that two iterations can be compared question by question (the
/// report's paired bootstrap interval) and a reader can see what changed.
public struct GreedyRecord: Sendable, Equatable, Codable {
    /// The question's id.
    public var id: String
    /// What the reward made of the completion.
    public var outcome: RewardResult.Outcome
    /// The extracted answer, if any.
    public var extracted: String?
    /// The completion text.
    public var completion: String

    public init(id: String, outcome: RewardResult.Outcome, extracted: String?, completion: String) {
        self.id = id
        self.outcome = outcome
        self.extracted = extracted
        self.completion = completion
    }

    /// The file name of a split's records.
    public static func fileName(split: String) -> String { "greedy-\(split).jsonl" }
}

/// Collects greedy records from the evaluator's callback (which runs on the calling thread).
public final class GreedyRecordCollector {
    public var rows: [GreedyRecord] = []
    public init() {}

    /// Records one scored completion (the shape of `Evaluator.onGreedyCompletion`).
    public func append(_ item: TaskItem, _ completion: String, _ score: RewardResult) {
        rows.append(GreedyRecord(id: item.id, outcome: score.outcome, extracted: score.extracted, completion: completion))
    }
}
