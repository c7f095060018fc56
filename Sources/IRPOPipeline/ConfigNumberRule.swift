/// The values a number key of a run config accepts, with the words an error and the docs use
/// for them ("a number > 0").
struct ConfigNumberRule: Sendable {
    /// What is expected, as an error message ends: "a number > 0".
    let expected: String
    /// Whether `value` is accepted.
    let accepts: @Sendable (Double) -> Bool

    init(_ expected: String, accepts: @escaping @Sendable (Double) -> Bool) {
        self.expected = expected
        self.accepts = accepts
    }

    /// The docs' type column: "number > 0".
    var typeText: String { expected.hasPrefix("a ") ? String(expected.dropFirst(2)) : expected }

    /// Any finite number.
    static let finite = ConfigNumberRule("a finite number") { $0.isFinite }
    /// A finite number > 0.
    static let positive = ConfigNumberRule("a number > 0") { $0.isFinite && $0 > 0 }
    /// A finite number >= 0.
    static let nonNegative = ConfigNumberRule("a number >= 0") { $0.isFinite && $0 >= 0 }
    /// A number in (0, 1): learning rates.
    static let learningRate = ConfigNumberRule("a number in (0, 1)") { $0.isFinite && $0 > 0 && $0 < 1 }
    /// A number in [0, 1].
    static let probability = ConfigNumberRule("a number in [0, 1]") { $0 >= 0 && $0 <= 1 }

    /// A number in (0, `high`].
    static func positiveAtMost(_ high: Double) -> ConfigNumberRule {
        ConfigNumberRule("a number > 0 and <= \(ConfigValue.number(high))") { $0.isFinite && $0 > 0 && $0 <= high }
    }
}
