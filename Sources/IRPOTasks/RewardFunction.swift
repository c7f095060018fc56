import Foundation

/// Scores one completion of a question against the question's gold answer.
///
/// Implementations are pure functions of their inputs (no state, no randomness), so scoring can
/// run in any order and on any thread.
public protocol RewardFunction: Sendable {
    /// The registry name ("gsm8k", "arc", "math", ...).
    var name: String { get }
    /// Scores `completion` (the model's text after the prompt) for `item`.
    func score(completion: String, item: TaskItem) -> RewardResult
}

extension RewardFunction {
    /// The 0/1 reward only.
    public func reward(completion: String, item: TaskItem) -> Double {
        score(completion: completion, item: item).reward
    }
}

/// The reward of one completion and why it was given, so that format failures, fallback hits and
/// ambiguous answers can be reported separately from wrong answers.
public struct RewardResult: Sendable, Hashable, Codable {
    /// What happened to the completion.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
        /// The answer equals the gold answer: reward 1.
        case correct
        /// An answer was read and it differs from the gold answer.
        case incorrect
        /// The answer names several different values or options ("12 or 13"): never correct.
        case ambiguous
        /// An answer was found (e.g. after "Final answer:") but no value could be read from it.
        case unparsable
        /// Neither the marker nor any enabled fallback found an answer.
        case noAnswer
    }

    /// 1 for a correct answer, 0 otherwise.
    public var reward: Double
    /// Why.
    public var outcome: Outcome
    /// The rule that found the answer; nil when none did.
    public var method: ExtractionMethod?
    /// The extracted answer text; nil when none was found.
    public var extracted: String?
    /// The answer in the task's own normalised form, for majority voting without the gold answer:
    /// two answers with the same key say the same thing ("15", "15.0" and "$15" share the key of
    /// the number 15; "(B)" and "B" the key of option B). Answers that were found but hold no
    /// single value ("12 or 13") get a key made from their text, so they can win a vote and then
    /// count as wrong. nil when no answer was found or nothing could be read from it (it does not
    /// vote).
    public var voteKey: String?

    /// Creates a result; `reward` is 1 exactly when `outcome` is `.correct`. Without `voteKey`,
    /// an answer that was read votes by its trimmed text.
    public init(outcome: Outcome, method: ExtractionMethod?, extracted: String?, voteKey: String? = nil) {
        self.reward = outcome == .correct ? 1 : 0
        self.outcome = outcome
        self.method = method
        self.extracted = extracted
        let votes = outcome != .noAnswer && outcome != .unparsable
        self.voteKey = votes ? (voteKey ?? extracted.map(Self.textVoteKey)) : nil
    }

    /// The vote key of an answer that holds no single value: its trimmed, lower-cased text, marked
    /// so that it never equals a value's key.
    public static func textVoteKey(_ text: String) -> String {
        "text:" + text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// No answer found.
    public static let noAnswer = RewardResult(outcome: .noAnswer, method: nil, extracted: nil)

    /// True when the answer was found by a fallback rather than the "Final answer:" marker.
    public var usedFallback: Bool { method?.isFallback ?? false }
}
