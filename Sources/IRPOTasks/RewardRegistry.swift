/// Reward functions by name, as a run config names them ("reward: gsm8k").
///
/// `standard` holds: `gsm8k` and `numeric` (numeric exact match with `\boxed{}`/"####"
/// fallbacks), `numeric-strict` and `synthetic-arithmetic` ("Final answer:" only), `arc`
/// (multiple choice) and `math` (LaTeX exact match with a `\boxed{}` fallback).
public struct RewardRegistry: Sendable {
    private var functions: [String: any RewardFunction]

    /// An empty registry.
    public init() { functions = [:] }

    /// The built-in rewards.
    public static var standard: RewardRegistry {
        var registry = RewardRegistry()
        registry.register(NumericExactMatchReward(name: "gsm8k"))
        registry.register(NumericExactMatchReward(name: "numeric"))
        registry.register(NumericExactMatchReward(name: "numeric-strict", extractor: .strict))
        registry.register(NumericExactMatchReward(name: SyntheticArithmeticTask.rewardName, extractor: .strict))
        registry.register(MultipleChoiceReward(name: "arc"))
        registry.register(MathExactMatchReward(name: "math"))
        return registry
    }

    /// Adds (or replaces) `function` under its `name`.
    public mutating func register(_ function: any RewardFunction) {
        functions[function.name] = function
    }

    /// Every registered name, sorted.
    public var names: [String] { functions.keys.sorted() }

    /// The reward registered under `name`.
    /// - Throws: `TaskError.unknownName` with the nearest registered name as a suggestion.
    public func reward(named name: String) throws -> any RewardFunction {
        if let function = functions[name] { return function }
        throw TaskError.unknownName(kind: "reward", name: name, suggestion: NameSuggestion.nearest(to: name, among: names), known: names)
    }
}
