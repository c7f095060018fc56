import Foundation
import IRPOTasks

/// The `task.synthetic` section of a run config: the knobs of the built-in synthetic arithmetic
/// task (`SyntheticArithmeticConfig`), spelled in snake case. Ranges are `[low, high]` lists (a
/// single number means `[n, n]`); every key is optional and defaults to the demo's setting.
///
/// ```yaml
/// task:
///   kind: synthetic-arithmetic
///   synthetic: {steps: [1, 2], operand_range: [1, 9], multiply_weight: 0, evaluation_rare_probability: 0.2}
/// ```
public struct SyntheticTaskSettings: Sendable, Equatable, Encodable {
    /// The knobs.
    public var config = SyntheticArithmeticConfig()

    public init(config: SyntheticArithmeticConfig = SyntheticArithmeticConfig()) { self.config = config }

    /// Every key of the section, in the order they are documented.
    public static let keys = ["steps", "start_range", "operand_range", "multiplier_range", "value_range", "add_weight",
                              "subtract_weight", "multiply_weight", "training_rare_probability", "evaluation_rare_probability",
                              "distractor_probability", "max_distractors", "test_fraction", "dev_fraction", "partition_salt"]

    /// Reads the section (absent keys keep `defaults`' values) and validates the result.
    static func read(_ section: inout ConfigReader, defaults: SyntheticArithmeticConfig = SyntheticArithmeticConfig()) throws -> SyntheticTaskSettings {
        var c = defaults
        c.steps = try section.intRange("steps", default: c.steps)
        c.startRange = try section.intRange("start_range", default: c.startRange)
        c.operandRange = try section.intRange("operand_range", default: c.operandRange)
        c.multiplierRange = try section.intRange("multiplier_range", default: c.multiplierRange)
        c.valueRange = try section.intRange("value_range", default: c.valueRange)
        c.addWeight = try section.double("add_weight", default: c.addWeight)
        c.subtractWeight = try section.double("subtract_weight", default: c.subtractWeight)
        c.multiplyWeight = try section.double("multiply_weight", default: c.multiplyWeight)
        c.trainingRarePhrasingProbability = try section.double("training_rare_probability", default: c.trainingRarePhrasingProbability)
        c.evaluationRarePhrasingProbability = try section.double("evaluation_rare_probability", default: c.evaluationRarePhrasingProbability)
        c.distractorProbability = try section.double("distractor_probability", default: c.distractorProbability)
        c.maxDistractors = try section.int("max_distractors", default: c.maxDistractors)
        c.testFraction = try section.double("test_fraction", default: c.testFraction)
        c.devFraction = try section.double("dev_fraction", default: c.devFraction)
        c.partitionSalt = try section.string("partition_salt", default: c.partitionSalt)
        try section.rejectUnknownKeys()
        let settings = SyntheticTaskSettings(config: c)
        try settings.validate(path: section.path)
        return settings
    }

    /// Applies command-line assignments `KEY=VALUE` (keys of `keys`, values written as in YAML:
    /// `steps=[1,2]`, `multiply_weight=0`) to `defaults`, and validates the result.
    /// - Throws: `PipelineError` naming `--synthetic` and the key or value at fault.
    public static func applying(assignments: [String], to defaults: SyntheticArithmeticConfig) throws -> SyntheticTaskSettings {
        guard assignments.count <= keys.count * 4 else {
            throw PipelineError("--synthetic is given \(assignments.count) times; there are only \(keys.count) keys (\(keys.joined(separator: ", ")))")
        }
        var lines: [String] = []
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), !assignment[..<equals].isEmpty, !assignment.contains("\n") else {
                throw PipelineError("--synthetic \"\(assignment)\" is not KEY=VALUE; pass e.g. --synthetic steps=[1,2] (keys: \(keys.joined(separator: ", ")))")
            }
            lines.append("\(assignment[..<equals].trimmingCharacters(in: .whitespaces)): \(assignment[assignment.index(after: equals)...])")
        }
        let parsed = try ConfigReader.parse(Data(lines.joined(separator: "\n").utf8), file: "--synthetic.yaml")
        var reader = ConfigReader(path: "--synthetic", object: parsed.object)
        return try read(&reader, defaults: defaults)
    }

    /// Checks the knobs; errors name the config key (`task.synthetic.steps`, ...).
    public func validate(path: String = "task.synthetic") throws {
        do {
            try config.validate()
        } catch let TaskError.invalidConfiguration(key, value, reason) {
            throw PipelineError("config key `\(path).\(Self.configKey(forField: key))` has value \(value): \(reason)")
        }
    }

    /// The config key of a `SyntheticArithmeticConfig` field name ("operandRange" -> "operand_range").
    static func configKey(forField field: String) -> String {
        switch field {
        case "trainingRarePhrasingProbability": return "training_rare_probability"
        case "evaluationRarePhrasingProbability": return "evaluation_rare_probability"
        default:
            var key = ""
            for character in field {
                if character.isUppercase { key += "_" + character.lowercased() } else { key.append(character) }
            }
            return key
        }
    }

    enum CodingKeys: String, CodingKey {
        case steps, startRange = "start_range", operandRange = "operand_range", multiplierRange = "multiplier_range"
        case valueRange = "value_range", addWeight = "add_weight", subtractWeight = "subtract_weight"
        case multiplyWeight = "multiply_weight", trainingRare = "training_rare_probability"
        case evaluationRare = "evaluation_rare_probability", distractorProbability = "distractor_probability"
        case maxDistractors = "max_distractors", testFraction = "test_fraction", devFraction = "dev_fraction"
        case partitionSalt = "partition_salt"
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func range(_ r: ClosedRange<Int>) -> [Int] { [r.lowerBound, r.upperBound] }
        try container.encode(range(config.steps), forKey: .steps)
        try container.encode(range(config.startRange), forKey: .startRange)
        try container.encode(range(config.operandRange), forKey: .operandRange)
        try container.encode(range(config.multiplierRange), forKey: .multiplierRange)
        try container.encode(range(config.valueRange), forKey: .valueRange)
        try container.encode(config.addWeight, forKey: .addWeight)
        try container.encode(config.subtractWeight, forKey: .subtractWeight)
        try container.encode(config.multiplyWeight, forKey: .multiplyWeight)
        try container.encode(config.trainingRarePhrasingProbability, forKey: .trainingRare)
        try container.encode(config.evaluationRarePhrasingProbability, forKey: .evaluationRare)
        try container.encode(config.distractorProbability, forKey: .distractorProbability)
        try container.encode(config.maxDistractors, forKey: .maxDistractors)
        try container.encode(config.testFraction, forKey: .testFraction)
        try container.encode(config.devFraction, forKey: .devFraction)
        try container.encode(config.partitionSalt, forKey: .partitionSalt)
    }
}

extension ConfigReader {
    /// A closed integer range written as `[low, high]` or as one integer `n` (`n...n`).
    mutating func intRange(_ key: String, default value: ClosedRange<Int>) throws -> ClosedRange<Int> {
        let bounds = try doubles(key, default: [Double(value.lowerBound), Double(value.upperBound)])
        let path = keyPath(key)
        let integers = bounds.compactMap { abs($0) <= 1e12 ? Int(exactly: $0) : nil }
        guard integers.count == bounds.count, (1...2).contains(integers.count) else {
            throw PipelineError("config key `\(path)` has value \(bounds), expected an integer or a list [low, high] of two integers")
        }
        guard integers[0] <= integers[integers.count - 1] else {
            throw PipelineError("config key `\(path)` has value \(integers), expected [low, high] with low <= high")
        }
        return integers[0]...integers[integers.count - 1]
    }
}
