/// The difficulty knobs of the built-in synthetic task. Defaults are the demo's task: start
/// 1-12, 2-3 steps of + / - / x2 in ratio 2:2:1, +/- operands 1-6, every value within 0-30, rare
/// phrasings with probability 0.01 per step in the training set and 0.6 (uniform over 4 common
/// + 6 rare) in evaluation and RPO pools, no distractors.
public struct SyntheticArithmeticConfig: Sendable, Hashable, Codable {
    /// Number of operations per problem.
    public var steps: ClosedRange<Int>
    /// The starting amount.
    public var startRange: ClosedRange<Int>
    /// Operands of + and -.
    public var operandRange: ClosedRange<Int>
    /// Factors of *.
    public var multiplierRange: ClosedRange<Int>
    /// Every intermediate value (and the answer) stays in this range.
    public var valueRange: ClosedRange<Int>
    /// Relative weight of + among the operations that keep the value in range (0 disables it).
    public var addWeight: Double
    /// Relative weight of -.
    public var subtractWeight: Double
    /// Relative weight of *.
    public var multiplyWeight: Double
    /// Probability that a + or - step uses a rare phrasing, in `.training` phrasing.
    public var trainingRarePhrasingProbability: Double
    /// Probability that a + or - step uses a rare phrasing, in `.evaluation` phrasing.
    public var evaluationRarePhrasingProbability: Double
    /// Probability of each potential distractor sentence (an irrelevant sentence with a number).
    public var distractorProbability: Double
    /// At most this many distractor sentences per question.
    public var maxDistractors: Int
    /// Fraction of problem structures reserved for the test partition.
    public var testFraction: Double
    /// Fraction of problem structures reserved for the dev partition.
    public var devFraction: Double
    /// Mixed into the hash that assigns problem structures to partitions: another salt draws
    /// another train/dev/test split of the same structures (empty: the original split).
    public var partitionSalt: String
    /// The sentences, names and objects.
    public var phrasings: SyntheticPhrasings

    /// Creates a configuration; defaults as described on the type.
    public init(
        steps: ClosedRange<Int> = 2...3,
        startRange: ClosedRange<Int> = 1...12,
        operandRange: ClosedRange<Int> = 1...6,
        multiplierRange: ClosedRange<Int> = 2...2,
        valueRange: ClosedRange<Int> = 0...30,
        addWeight: Double = 2,
        subtractWeight: Double = 2,
        multiplyWeight: Double = 1,
        trainingRarePhrasingProbability: Double = 0.01,
        evaluationRarePhrasingProbability: Double = 0.6,
        distractorProbability: Double = 0,
        maxDistractors: Int = 1,
        testFraction: Double = 0.2,
        devFraction: Double = 0.1,
        partitionSalt: String = "",
        phrasings: SyntheticPhrasings = .standard
    ) {
        self.steps = steps
        self.startRange = startRange
        self.operandRange = operandRange
        self.multiplierRange = multiplierRange
        self.valueRange = valueRange
        self.addWeight = addWeight
        self.subtractWeight = subtractWeight
        self.multiplyWeight = multiplyWeight
        self.trainingRarePhrasingProbability = trainingRarePhrasingProbability
        self.evaluationRarePhrasingProbability = evaluationRarePhrasingProbability
        self.distractorProbability = distractorProbability
        self.maxDistractors = maxDistractors
        self.testFraction = testFraction
        self.devFraction = devFraction
        self.partitionSalt = partitionSalt
        self.phrasings = phrasings
    }

    /// Checks every knob.
    /// - Throws: `TaskError.invalidConfiguration` naming the key and value at fault.
    public func validate() throws {
        func fail(_ key: String, _ value: Any, _ reason: String) -> TaskError {
            TaskError.invalidConfiguration(key: key, value: "\(value)", reason: reason)
        }
        guard steps.lowerBound >= 1, steps.upperBound <= 12 else { throw fail("steps", steps, "must be within 1...12") }
        guard operandRange.lowerBound >= 1 else { throw fail("operandRange", operandRange, "operands must be at least 1") }
        guard multiplierRange.lowerBound >= 2 else { throw fail("multiplierRange", multiplierRange, "factors must be at least 2") }
        guard valueRange.lowerBound >= 0 else { throw fail("valueRange", valueRange, "values must not be negative (the chain of thought has no negative numbers)") }
        guard valueRange.upperBound <= 1_000_000 else { throw fail("valueRange", valueRange, "keep values below one million") }
        guard valueRange.contains(startRange.lowerBound), valueRange.contains(startRange.upperBound) else {
            throw fail("startRange", startRange, "must lie inside valueRange \(valueRange)")
        }
        for (key, weight) in [("addWeight", addWeight), ("subtractWeight", subtractWeight), ("multiplyWeight", multiplyWeight)] {
            guard weight >= 0, weight.isFinite else { throw fail(key, weight, "must be a finite number >= 0") }
        }
        guard addWeight + subtractWeight + multiplyWeight > 0 else {
            throw fail("addWeight", addWeight, "at least one of addWeight, subtractWeight, multiplyWeight must be positive")
        }
        for (key, p) in [("trainingRarePhrasingProbability", trainingRarePhrasingProbability),
                         ("evaluationRarePhrasingProbability", evaluationRarePhrasingProbability),
                         ("distractorProbability", distractorProbability)] {
            guard (0...1).contains(p) else { throw fail(key, p, "must be a probability in 0...1") }
        }
        guard partitionSalt.utf8.count <= 256 else { throw fail("partitionSalt", partitionSalt.prefix(32) + "...", "at most 256 bytes") }
        guard operandRange.upperBound <= 1_000_000 else { throw fail("operandRange", operandRange, "operands at most 1,000,000") }
        guard multiplierRange.upperBound <= 1_000 else { throw fail("multiplierRange", multiplierRange, "factors at most 1,000") }
        guard maxDistractors <= 8 else { throw fail("maxDistractors", maxDistractors, "must be within 0...8") }
        guard maxDistractors >= 0 else { throw fail("maxDistractors", maxDistractors, "must be >= 0") }
        guard testFraction > 0, devFraction >= 0, testFraction + devFraction < 1 else {
            throw fail("testFraction", testFraction, "testFraction must be > 0, devFraction >= 0 (\(devFraction)) and their sum < 1")
        }
        let p = phrasings
        if addWeight > 0, p.addCommon.isEmpty || p.addRare.isEmpty {
            throw fail("phrasings.addCommon/addRare", "\(p.addCommon.count)/\(p.addRare.count)", "both lists need at least one template while addWeight > 0")
        }
        if subtractWeight > 0, p.subtractCommon.isEmpty || p.subtractRare.isEmpty {
            throw fail("phrasings.subtractCommon/subtractRare", "\(p.subtractCommon.count)/\(p.subtractRare.count)", "both lists need at least one template while subtractWeight > 0")
        }
        for template in p.addCommon + p.addRare + p.subtractCommon + p.subtractRare where !template.contains("{n}") {
            throw fail("phrasings", template, "every + and - template needs the operand placeholder {n}")
        }
        guard !p.people.isEmpty, !p.objects.isEmpty else { throw fail("phrasings.people/objects", "\(p.people.count)/\(p.objects.count)", "need at least one name and one object") }
        if distractorProbability > 0, maxDistractors > 0, p.distractors.isEmpty || p.people.count < 2 {
            throw fail("phrasings.distractors", p.distractors.count, "distractors need at least one template and two names")
        }
    }
}
