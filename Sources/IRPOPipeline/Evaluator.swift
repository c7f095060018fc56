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
    /// Fraction of the k-sample completions with no extractable answer.
    public var majorityExtractionFailureRate: Double?
    /// Synthetic task: greedy completions by error kind (`SyntheticDiagnosis.Kind`).
    public var greedyDiagnosis: [String: Int]?
    enum CodingKeys: String, CodingKey {
        case split, questions
        case greedyAccuracy = "greedy_accuracy"
        case greedyExtractionFailureRate = "greedy_extraction_failure_rate"
        case majorityK = "majority_k"
        case majorityAccuracy = "majority_accuracy"
        case majorityExtractionFailureRate = "majority_extraction_failure_rate"
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

    public init(reward: any RewardFunction, prompt: PromptFormatter, settings: RunConfig.Evaluation, seed: UInt64,
                syntheticTask: SyntheticArithmeticTask?) {
        self.reward = reward
        self.prompt = prompt
        self.settings = settings
        self.seed = seed
        self.syntheticTask = syntheticTask
    }

    static func isFailure(_ outcome: RewardResult.Outcome) -> Bool { outcome == .noAnswer || outcome == .unparsable }

    /// Evaluates `items` of `split`.
    public func evaluate(items: [TaskItem], split: String, backend: any InferenceBackend,
                         progress: (String, Int, Int) -> Void) throws -> SplitEvaluation {
        let prompts = try items.map { try prompt.render(item: $0) }
        let ids = Array(items.indices)
        var result = SplitEvaluation(split: split, questions: items.count, majorityK: settings.majorityK)
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
        if settings.majorityK > 0 {
            let parameters = GenerateParameters(temperature: Float(settings.majorityTemperature), maxNewTokens: settings.maxNewTokens,
                                                seed: seed)
            let outputs = try backend.complete(prompts: prompts, promptIDs: ids, parameters: parameters,
                                               samplesPerPrompt: settings.majorityK) { progress("maj@\(settings.majorityK)", $0, $1) }
            var correct = 0, failures = 0, total = 0
            for (item, row) in zip(items, outputs) {
                var answers: [String?] = []
                for completion in row {
                    let score = reward.score(completion: completion.text, item: item)
                    total += 1
                    if Self.isFailure(score.outcome) { failures += 1 }
                    // Vote on the extracted answer's correctness class: a correct answer votes as the gold answer,
                    // any other extracted text votes as itself.
                    answers.append(score.outcome == .correct ? "\u{1}gold" : (Self.isFailure(score.outcome) ? nil : score.extracted))
                }
                if MajorityVote.winner(of: answers) == "\u{1}gold" { correct += 1 }
            }
            result.majorityAccuracy = Double(correct) / Double(items.count)
            result.majorityExtractionFailureRate = total > 0 ? Double(failures) / Double(total) : 0
        }
        return result
    }
}
