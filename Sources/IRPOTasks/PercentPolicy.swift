/// How a number written with a percent sign ("25%") is compared with a gold answer.
public enum PercentPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// "25%" means 25 (GSM8K writes percentage answers as plain numbers). The default.
    case ignoreSign
    /// "25%" means 0.25.
    case divideBy100
    /// "25%" matches a gold answer of either 25 or 0.25.
    case either
    /// An answer with a percent sign is never correct.
    case reject

    /// The values a percent literal `value%` may stand for under this policy.
    func candidates(for value: ExactNumber) -> [ExactNumber] {
        switch self {
        case .ignoreSign: return [value]
        case .divideBy100: return [value.hundredth]
        case .either: return [value, value.hundredth]
        case .reject: return []
        }
    }
}
