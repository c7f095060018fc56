/// Why a completion of a synthetic item is right or wrong: the error breakdown (wrong reasoning
/// vs slips) that the demo reports next to accuracy.
///
/// The completion's equations ("a+b=c", "a-b=c", "a*b=c", spaces allowed, "x" for "*") before
/// the final answer are compared, in order, with the item's gold steps (from its metadata). The
/// first deviation decides the kind:
/// - `copySlip`: the left operand is not the previous result (or the start value);
/// - `wrongOperation`: the operation differs from the gold step (the reasoning error the task
///   is about: a phrasing read as the wrong operation);
/// - `wrongOperand`: same operation, different operand;
/// - `arithmeticSlip`: the equation's result is wrong;
/// - `wrongStepCount`: fewer or more equations than gold steps.
/// With no deviation, a wrong final answer is `finalAnswerMismatch`. A completion rewarded 1
/// despite a deviation is `correctWithWrongWorking` (a noisy winner).
public struct SyntheticDiagnosis: Sendable, Hashable, Codable {
    /// The category.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Reward 1 and every step right.
        case correct
        /// Reward 1 but some step wrong.
        case correctWithWrongWorking
        /// The first wrong step used the wrong operation.
        case wrongOperation
        /// The first wrong step used the right operation with a different operand.
        case wrongOperand
        /// The first wrong step miscalculated.
        case arithmeticSlip
        /// The first wrong step did not continue from the previous result.
        case copySlip
        /// The steps were right so far, but there were too few or too many.
        case wrongStepCount
        /// All steps right, but the final answer differs from the gold answer.
        case finalAnswerMismatch
        /// No answer could be extracted and the steps were right so far.
        case noAnswer
    }

    /// The category.
    public var kind: Kind
    /// The 0-based index of the first wrong step, when there is one.
    public var step: Int?
    /// The reward the task's reward function gives.
    public var reward: Double

    /// Creates a diagnosis.
    public init(kind: Kind, step: Int?, reward: Double) {
        self.kind = kind
        self.step = step
        self.reward = reward
    }
}

extension SyntheticArithmeticTask {
    /// One equation read from a completion.
    struct Equation: Equatable {
        var left: Int
        var kind: SyntheticOperation.Kind
        var right: Int
        var result: Int
    }

    /// Diagnoses `completion` for a synthetic `item`; nil when the item has no synthetic
    /// metadata (`start`, `operations`).
    public func diagnose(completion: String, item: TaskItem) -> SyntheticDiagnosis? {
        guard let startText = item.metadata["start"], let start = Int(startText),
              let operationsText = item.metadata["operations"],
              let gold = Self.parseOperations(operationsText)
        else { return nil }
        let result = reward.score(completion: completion, item: item)
        let scalars = Array(completion.unicodeScalars)
        let markerStart = reward.extractor.markers.compactMap { AnswerExtractor.lastMatch(of: $0, in: scalars)?.start }.max()
        let working = String(String.UnicodeScalarView(scalars[..<(markerStart ?? scalars.count)]))
        let equations = Self.equations(in: Substring(working))
        var firstError: (SyntheticDiagnosis.Kind, Int)?
        var previous = start
        for (index, equation) in equations.enumerated() {
            guard index < gold.count else { firstError = (.wrongStepCount, index); break }
            let expected = gold[index]
            if equation.left != previous { firstError = (.copySlip, index); break }
            if equation.kind != expected.kind { firstError = (.wrongOperation, index); break }
            if equation.right != expected.operand { firstError = (.wrongOperand, index); break }
            let correctResult = SyntheticOperation(kind: equation.kind, operand: equation.right).apply(to: equation.left)
            if equation.result != correctResult { firstError = (.arithmeticSlip, index); break }
            previous = equation.result
        }
        if firstError == nil, equations.count < gold.count { firstError = (.wrongStepCount, equations.count) }
        if result.reward == 1 {
            return SyntheticDiagnosis(kind: firstError == nil ? .correct : .correctWithWrongWorking, step: firstError?.1, reward: 1)
        }
        if let (kind, step) = firstError { return SyntheticDiagnosis(kind: kind, step: step, reward: 0) }
        let kind: SyntheticDiagnosis.Kind = result.outcome == .noAnswer ? .noAnswer : .finalAnswerMismatch
        return SyntheticDiagnosis(kind: kind, step: nil, reward: 0)
    }

    /// "+5 -3 *2" back to operations.
    static func parseOperations(_ text: String) -> [SyntheticOperation]? {
        var result: [SyntheticOperation] = []
        for part in text.split(separator: " ") {
            guard let symbol = part.first, let operand = Int(part.dropFirst()) else { return nil }
            switch symbol {
            case "+": result.append(SyntheticOperation(kind: .add, operand: operand))
            case "-": result.append(SyntheticOperation(kind: .subtract, operand: operand))
            case "*": result.append(SyntheticOperation(kind: .multiply, operand: operand))
            default: return nil
            }
        }
        return result
    }

    /// Every "a op b = c" in `text`, in order.
    static func equations(in text: Substring) -> [Equation] {
        let s = Array(text.unicodeScalars)
        var result: [Equation] = []
        var i = 0
        func skipSpaces(_ k: inout Int) { while k < s.count, s[k] == " " { k += 1 } }
        func integer(_ k: inout Int, allowSign: Bool) -> Int? {
            var negative = false
            if allowSign, k < s.count, s[k] == "-" { negative = true; k += 1 }
            let begin = k
            while k < s.count, ("0"..."9").contains(s[k]), k - begin < 12 { k += 1 }
            guard k > begin, let value = Int(String(String.UnicodeScalarView(s[begin..<k]))) else { return nil }
            return negative ? -value : value
        }
        while i < s.count {
            guard ("0"..."9").contains(s[i]), i == 0 || !("0"..."9").contains(s[i - 1]) else { i += 1; continue }
            var k = i
            guard let left = integer(&k, allowSign: false) else { i += 1; continue }
            skipSpaces(&k)
            guard k < s.count else { break }
            let kind: SyntheticOperation.Kind
            switch s[k] {
            case "+": kind = .add
            case "-": kind = .subtract
            case "*", "x", "\u{00D7}": kind = .multiply
            default: i = k; continue
            }
            k += 1
            skipSpaces(&k)
            guard let right = integer(&k, allowSign: false) else { i = k; continue }
            skipSpaces(&k)
            guard k < s.count, s[k] == "=" else { i = k; continue }
            k += 1
            skipSpaces(&k)
            guard let value = integer(&k, allowSign: true) else { i = k; continue }
            result.append(Equation(left: left, kind: kind, right: right, result: value))
            i = k
        }
        return result
    }
}
