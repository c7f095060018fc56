/// The built-in demo task: seeded multi-step arithmetic word problems whose difficulty is
/// choosing the operation from rarely seen phrasings, with easy arithmetic.
///
/// ## Generator
/// For each item, with a `SplitMix64` stream seeded from (`seed`, partition, phrasing):
/// 1. Draw the start value from `startRange` and a step count from `steps`.
/// 2. For each step, list the operations that can keep the value inside `valueRange` (+ needs
///    room above, - room below, * a value >= 1 whose product fits), pick one with probability
///    proportional to its weight, then draw its operand uniformly from the part of
///    `operandRange` (or `multiplierRange`) that keeps the value in range.
/// 3. The problem's *signature* ("7|+5|-3|*2") is hashed with FNV-1a; the hash, not the seed,
///    decides its partition (`testFraction` of all signatures are test, `devFraction` dev, the
///    rest train). A draw whose signature belongs to another partition is rejected and redrawn.
///    So train, dev and test never share a problem (not even with other wording), whatever seeds
///    are used: disjoint by construction.
/// 4. Words: a person (name, pronoun) and an object are drawn; each + or - step is written with
///    a rare phrasing with probability `trainingRarePhrasingProbability` (`.training`) or
///    `evaluationRarePhrasingProbability` (`.evaluation`), otherwise a common one, uniformly
///    within the chosen list; * uses its factor's phrasing. Up to `maxDistractors` irrelevant
///    sentences with a number (drawn from `startRange`, at least 2) are inserted, each with
///    `distractorProbability`, after the first sentence.
/// 5. Question: "<Name> has <start> <objects>. <steps...> How many does <Name> have now?";
///    gold chain of thought: "7+5=12. 12-3=9. 9*2=18. Final answer: 18". Distractors never
///    appear in the chain of thought. A question text already generated in this call is redrawn.
///
/// With the defaults a question is ~70-110 characters and its chain of thought ~25-45: short
/// enough for a small character-level model. Use `.training` phrasing for the SFT set and
/// `.evaluation` for dev, test and the RPO question pools (partition `.train`).
public struct SyntheticArithmeticTask: Sendable {
    /// The registry name of the task's reward ("Final answer:" only, numeric exact match).
    public static let rewardName = "synthetic-arithmetic"

    /// Which problem structures an item may use.
    public enum Partition: String, Sendable, Hashable, Codable, CaseIterable {
        /// Structures for training (SFT data and RPO question pools).
        case train
        /// Structures for checkpoint and hyper-parameter selection.
        case dev
        /// Structures for the final held-out evaluation.
        case test
    }

    /// Which phrasing probability applies.
    public enum PhrasingDistribution: String, Sendable, Hashable, Codable, CaseIterable {
        /// `trainingRarePhrasingProbability`: rare phrasings are seldom seen.
        case training
        /// `evaluationRarePhrasingProbability`: all phrasings are exercised.
        case evaluation
    }

    /// The knobs.
    public let config: SyntheticArithmeticConfig

    /// Creates the task.
    /// - Throws: `TaskError.invalidConfiguration` if `config` is invalid.
    public init(config: SyntheticArithmeticConfig = SyntheticArithmeticConfig()) throws {
        try config.validate()
        self.config = config
    }

    /// The task's reward: exact numeric match on "Final answer:", no fallbacks.
    public var reward: NumericExactMatchReward {
        NumericExactMatchReward(name: Self.rewardName, extractor: .strict)
    }

    /// The task's prompt ("Q: <question>\nA:").
    public var prompt: PromptTemplate { .syntheticArithmetic }

    /// The partition a problem signature belongs to (independent of any seed).
    public func partition(ofSignature signature: String) -> Partition {
        let key = config.partitionSalt.isEmpty ? signature : config.partitionSalt + "|" + signature
        let bucket = Double(SplitMix64.stableHash(key) % 1_000_000) / 1_000_000
        if bucket < config.testFraction { return .test }
        if bucket < config.testFraction + config.devFraction { return .dev }
        return .train
    }

    /// `count` distinct items of `partition`, reproducible from `seed`.
    /// - Throws: `TaskError.generationExhausted` when the knobs admit too few distinct questions.
    public func generate(count: Int, partition: Partition, phrasing: PhrasingDistribution, seed: UInt64) throws -> [TaskItem] {
        guard count >= 0 else {
            throw TaskError.invalidConfiguration(key: "count", value: "\(count)", reason: "must be >= 0")
        }
        var rng = SplitMix64(seed: SplitMix64.stableHash("synthetic-arithmetic|\(seed)|\(partition.rawValue)|\(phrasing.rawValue)"))
        let rareProbability = phrasing == .training ? config.trainingRarePhrasingProbability : config.evaluationRarePhrasingProbability
        var items: [TaskItem] = []
        var seenQuestions = Set<String>()
        let maxAttempts = 1000 + count * 200
        var attempts = 0
        while items.count < count {
            attempts += 1
            if attempts > maxAttempts {
                throw TaskError.generationExhausted(requested: count, produced: items.count, reason: "\(maxAttempts) draws for partition \(partition.rawValue)")
            }
            guard let (start, operations) = drawProblem(&rng) else { continue }
            let signature = Self.signature(start: start, operations: operations)
            guard self.partition(ofSignature: signature) == partition else { continue }
            let (question, rareSteps, distractors) = writeQuestion(start: start, operations: operations, rareProbability: rareProbability, rng: &rng)
            guard seenQuestions.insert(question).inserted else { continue }
            let (solution, answer) = Self.chainOfThought(start: start, operations: operations)
            items.append(TaskItem(
                id: "synthetic-\(partition.rawValue)-\(seed)-\(items.count)",
                question: question,
                goldAnswer: String(answer),
                goldSolution: solution,
                metadata: [
                    "partition": partition.rawValue,
                    "start": String(start),
                    "operations": operations.map(\.compact).joined(separator: " "),
                    "signature": signature,
                    "rareSteps": String(rareSteps),
                    "distractors": String(distractors),
                ]))
        }
        return items
    }

    /// "7|+5|-3|*2".
    public static func signature(start: Int, operations: [SyntheticOperation]) -> String {
        ([String(start)] + operations.map(\.compact)).joined(separator: "|")
    }

    /// The gold chain of thought and the answer: "7+5=12. 12-3=9. Final answer: 9".
    public static func chainOfThought(start: Int, operations: [SyntheticOperation]) -> (String, Int) {
        var value = start
        var parts: [String] = []
        for operation in operations {
            let next = operation.apply(to: value)
            parts.append("\(value)\(operation.kind.symbol)\(operation.operand)=\(next).")
            value = next
        }
        parts.append("Final answer: \(value)")
        return (parts.joined(separator: " "), value)
    }

    /// Replaces `{key}` placeholders; unknown placeholders are kept as written.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let key = String(rest[rest.index(after: open)..<close])
            result += values[key] ?? "{\(key)}"
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }

    // MARK: - Drawing

    func drawProblem(_ rng: inout SplitMix64) -> (Int, [SyntheticOperation])? {
        let start = rng.uniform(in: config.startRange)
        let stepCount = rng.uniform(in: config.steps)
        let low = config.valueRange.lowerBound
        let high = config.valueRange.upperBound
        var value = start
        var operations: [SyntheticOperation] = []
        for _ in 0..<stepCount {
            var options: [(SyntheticOperation.Kind, ClosedRange<Int>, Double)] = []
            let operandLow = config.operandRange.lowerBound
            if config.addWeight > 0, value + operandLow <= high {
                options.append((.add, operandLow...min(config.operandRange.upperBound, high - value), config.addWeight))
            }
            if config.subtractWeight > 0, value - operandLow >= low {
                options.append((.subtract, operandLow...min(config.operandRange.upperBound, value - low), config.subtractWeight))
            }
            let factorLow = config.multiplierRange.lowerBound
            if config.multiplyWeight > 0, value >= 1, value * factorLow <= high, value * factorLow >= low {
                options.append((.multiply, factorLow...min(config.multiplierRange.upperBound, high / value), config.multiplyWeight))
            }
            guard !options.isEmpty else { return nil }
            let total = options.reduce(0) { $0 + $1.2 }
            var pick = rng.unit() * total
            var chosen = options[options.count - 1]
            for option in options {
                if pick < option.2 { chosen = option; break }
                pick -= option.2
            }
            let operation = SyntheticOperation(kind: chosen.0, operand: rng.uniform(in: chosen.1))
            value = operation.apply(to: value)
            operations.append(operation)
        }
        return (start, operations)
    }

    func writeQuestion(start: Int, operations: [SyntheticOperation], rareProbability: Double, rng: inout SplitMix64) -> (String, Int, Int) {
        let phrasings = config.phrasings
        let person = rng.pick(phrasings.people)
        let object = rng.pick(phrasings.objects)
        var sentences = ["\(person.name) has \(start) \(object)."]
        var rareSteps = 0
        for operation in operations {
            var rare = false
            if operation.kind != .multiply {
                rare = rng.chance(rareProbability)
                if rare { rareSteps += 1 }
            }
            let count = phrasings.count(for: operation.kind, rare: rare)
            let index = count > 1 ? rng.uniform(in: 0...(count - 1)) : 0
            let template = phrasings.template(for: operation, rare: rare, index: index)
            sentences.append(Self.fill(template, ["P": person.pronoun, "n": String(operation.operand)]))
        }
        var distractors = 0
        if config.distractorProbability > 0 {
            for _ in 0..<config.maxDistractors where rng.chance(config.distractorProbability) {
                let others = phrasings.people.filter { $0.name != person.name }
                let other = rng.pick(others)
                let template = rng.pick(phrasings.distractors)
                let otherObject = rng.pick(phrasings.objects)
                let number = rng.uniform(in: max(2, config.startRange.lowerBound)...max(2, config.startRange.upperBound))
                let sentence = Self.fill(template, ["N": other.name, "O": otherObject, "n": String(number)])
                sentences.insert(sentence, at: rng.uniform(in: 1...sentences.count))
                distractors += 1
            }
        }
        sentences.append("How many does \(person.name) have now?")
        return (sentences.joined(separator: " "), rareSteps, distractors)
    }
}
