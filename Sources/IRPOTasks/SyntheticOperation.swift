/// One step of a synthetic arithmetic problem: `value <op> operand`.
public struct SyntheticOperation: Sendable, Hashable, Codable {
    /// The arithmetic operation.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// `value + operand`.
        case add
        /// `value - operand`.
        case subtract
        /// `value * operand`.
        case multiply

        /// The symbol written in the chain of thought.
        public var symbol: String {
            switch self {
            case .add: return "+"
            case .subtract: return "-"
            case .multiply: return "*"
            }
        }
    }

    /// The operation.
    public var kind: Kind
    /// The operand (the multiplier for `.multiply`).
    public var operand: Int

    /// Creates a step.
    public init(kind: Kind, operand: Int) {
        self.kind = kind
        self.operand = operand
    }

    /// The result of applying the step to `value`.
    public func apply(to value: Int) -> Int {
        switch kind {
        case .add: return value + operand
        case .subtract: return value - operand
        case .multiply: return value * operand
        }
    }

    /// "+5", "-3", "*2": the compact form used in signatures and metadata.
    public var compact: String { kind.symbol + String(operand) }
}
