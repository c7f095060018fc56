import Foundation
import IRPOBackends
import IRPOGeneration
import IRPOTasks

/// Accuracy of one model on one split.
public struct SplitEvaluation: Codable, Sendable, Equatable {
    public var split: String
    public var questions: Int
    /// Greedy accuracy in [0, 1] (nil when greedy evaluation is off).
    public var greedyAccuracy: Double?
    /// Fraction of greedy completions with no extractable answer.
    public var greedyExtractionFailureRate: Double?
    /// k of the majority vote (0: off).
    public var majorityK: Int
    /// maj@k accuracy.
    public var majorityAccuracy: Double?
    /// Questions the majority vote covered (the first ones of the split; `evaluation.majority_limit`).
    public var majorityQuestions: Int?
    /// Fraction of the k-sample completions with no extractable answer.
    public var majorityExtractionFailureRate: Double?
    /// Fraction of the k-sample completions that are correct on their own (the mean pass@1 at the
    /// majority-vote temperature): how often sampling finds a correct chain of thought.
    public var sampleAccuracy: Double?
    /// Synthetic task: greedy completions by error kind (`SyntheticDiagnosis.Kind`).
    public var greedyDiagnosis: [String: Int]?
    enum CodingKeys: String, CodingKey {
        case split, questions
        case greedyAccuracy = "greedy_accuracy"
        case greedyExtractionFailureRate = "greedy_extraction_failure_rate"
        case majorityK = "majority_k"
        case majorityAccuracy = "majority_accuracy"
        case majorityQuestions = "majority_questions"
        case majorityExtractionFailureRate = "majority_extraction_failure_rate"
        case sampleAccuracy = "sample_accuracy"
        case greedyDiagnosis = "greedy_diagnosis"
    }
}

/// `iter-<t>/eval.json`.
public struct IterationEvaluation: Codable, Sendable, Equatable {
    public var iteration: Int
    public var model: String
    public var splits: [SplitEvaluation]
}

/// Greedy and majority-vote evaluation of a model through an `InferenceBackend`.
public struct Evaluator {
    public var reward: any RewardFunction
    public var prompt: PromptFormatter
    public var settings: RunConfig.Evaluation
    /// Seed of the majority-vote samples.
    public var seed: UInt64
    /// Diagnoses synthetic completions when set.
    public var syntheticTask: SyntheticArithmeticTask?
    /// Called with every greedy completion and its score, in question order (e.g. to save them).
    public var onGreedyCompletion: ((TaskItem, String, RewardResult) -> Void)?

    public init(reward: any RewardFunction, prompt: PromptFormatter, settings: RunConfig.Evaluation, seed: UInt64,
                syntheticTask: SyntheticArithmeticTask?) {
        self.reward = reward
        self.prompt = prompt
        self.settings = settings
        self.seed = seed
        self.syntheticTask = syntheticTask
    }

    static func isFailure(_ outcome: RewardResult.Outcome) -> Bool { outcome == .noAnswer || outcome == .unparsable }

    /// The majority vote over the scored samples of one question, as the paper's maj@k: the
    /// extracted answers are grouped by the task's normalised form (`RewardResult.voteKey`, which
    /// never looks at the gold answer), the largest group wins (ties: the group seen first), and
    /// the winner is the first sample of that group, to be scored against the gold answer.
    /// Samples without an answer do not vote; nil when none has one.
    static func majorityWinner(of scores: [RewardResult]) -> RewardResult? {
        guard let key = MajorityVote.winner(of: scores.map(\.voteKey)) else { return nil }
        return scores.first { $0.voteKey == key }
    }

    /// Evaluates `items` of `split`.
    public func evaluate(items: [TaskItem], split: String, backend: any InferenceBackend,
                         progress: (String, Int, Int) -> Void) throws -> SplitEvaluation {
        let prompts = try items.map { try prompt.render(item: $0) }
        let ids = Array(items.indices)
        let majorityK = settings.majoritySplits.map { $0.contains(split) } ?? true ? settings.majorityK : 0
        var result = SplitEvaluation(split: split, questions: items.count, majorityK: majorityK)
        guard !items.isEmpty else { return result }
        if settings.greedy {
            let parameters = GenerateParameters(temperature: 0, maxNewTokens: settings.maxNewTokens)
            let outputs = try backend.complete(prompts: prompts, promptIDs: ids, parameters: parameters, samplesPerPrompt: 1) {
                progress("greedy", $0, $1)
            }
            var correct = 0, failures = 0
            var diagnosis: [String: Int] = [:]
            for (item, row) in zip(items, outputs) {
                let text = row.first?.text ?? ""
                let score = reward.score(completion: text, item: item)
                onGreedyCompletion?(item, text, score)
                if score.reward > 0.5 { correct += 1 }
                if Self.isFailure(score.outcome) { failures += 1 }
                if let task = syntheticTask, let kind = task.diagnose(completion: text, item: item)?.kind {
                    diagnosis[kind.rawValue, default: 0] += 1
                }
            }
            result.greedyAccuracy = Double(correct) / Double(items.count)
            result.greedyExtractionFailureRate = Double(failures) / Double(items.count)
            if syntheticTask != nil { result.greedyDiagnosis = diagnosis }
        }
        if majorityK > 0 {
            let voted = min(items.count, settings.majorityLimit ?? items.count)
            let items = Array(items.prefix(voted)), prompts = Array(prompts.prefix(voted)), ids = Array(ids.prefix(voted))
            let parameters = GenerateParameters(temperature: Float(settings.majorityTemperature), maxNewTokens: settings.maxNewTokens,
                                                seed: seed)
            let outputs = try backend.complete(prompts: prompts, promptIDs: ids, parameters: parameters,
                                               samplesPerPrompt: majorityK) { progress("maj@\(majorityK)", $0, $1) }
            var correct = 0, failures = 0, total = 0, correctSamples = 0
            for (item, row) in zip(items, outputs) {
                let scores = row.map { reward.score(completion: $0.text, item: item) }
                total += scores.count
                failures += scores.filter { Self.isFailure($0.outcome) }.count
                correctSamples += scores.filter { $0.outcome == .correct }.count
                if let winner = Self.majorityWinner(of: scores), winner.outcome == .correct { correct += 1 }
            }
            result.majorityAccuracy = Double(correct) / Double(items.count)
            result.majorityQuestions = items.count
            result.majorityExtractionFailureRate = total > 0 ? Double(failures) / Double(total) : 0
            result.sampleAccuracy = total > 0 ? Double(correctSamples) / Double(total) : 0
        }
        return result
    }
}
