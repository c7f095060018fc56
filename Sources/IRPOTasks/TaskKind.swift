/// The dataset formats and built-in tasks a run config can name ("task: gsm8k").
///
/// Each kind knows its paper prompt and its default reward name; `init(named:)` throws with a
/// suggestion for a misspelt name.
public enum TaskKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// GSM8K JSONL (`GSM8KDataset`).
    case gsm8k
    /// ARC in AI2 or Hugging Face layout (`ARCDataset`).
    case arc
    /// MATH (`MATHDataset`).
    case math
    /// JSONL with configurable field names (`GenericJSONLDataset`), numeric answers.
    case jsonl
    /// The built-in synthetic arithmetic task (`SyntheticArithmeticTask`).
    case syntheticArithmetic = "synthetic-arithmetic"

    /// Looks a kind up by its name (case-insensitive).
    /// - Throws: `TaskError.unknownName` with the nearest known name as a suggestion.
    public init(named name: String) throws {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        guard let kind = TaskKind(rawValue: key) else {
            let known = TaskKind.allCases.map(\.rawValue)
            throw TaskError.unknownName(kind: "task", name: name, suggestion: NameSuggestion.nearest(to: name, among: known), known: known)
        }
        self = kind
    }

    /// Loads a dataset file of this kind with default settings (field names of the original
    /// datasets; `jsonl` expects `question`/`answer` fields and numeric answers).
    /// - Throws: the loader's `TaskError`s; `TaskError.invalidConfiguration` for the synthetic
    ///   task, which is generated (`SyntheticArithmeticTask.generate`), not loaded.
    public func loadItems(path: String, limit: Int? = nil) throws -> [TaskItem] {
        switch self {
        case .gsm8k: return try GSM8KDataset().load(path: path, limit: limit)
        case .arc: return try ARCDataset().load(path: path, limit: limit)
        case .math: return try MATHDataset().load(path: path, limit: limit)
        case .jsonl: return try GenericJSONLDataset(requireNumericAnswer: true).load(path: path, limit: limit)
        case .syntheticArithmetic:
            throw TaskError.invalidConfiguration(key: "task", value: rawValue, reason: "the synthetic task is generated, not loaded from '\(path)'; use SyntheticArithmeticTask.generate")
        }
    }

    /// The paper's prompt for this kind (generic JSONL uses the GSM8K prompt).
    public var defaultPrompt: PromptTemplate {
        switch self {
        case .gsm8k, .jsonl: return .gsm8k
        case .arc: return .arc
        case .math: return .math
        case .syntheticArithmetic: return .syntheticArithmetic
        }
    }

    /// The name of the default reward in `RewardRegistry.standard`.
    public var defaultRewardName: String {
        switch self {
        case .gsm8k: return "gsm8k"
        case .arc: return "arc"
        case .math: return "math"
        case .jsonl: return "numeric"
        case .syntheticArithmetic: return SyntheticArithmeticTask.rewardName
        }
    }
}
