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
public struct SyntheticTaskSettings: Sendable, Equatable {
    /// The knobs.
    public var config = SyntheticArithmeticConfig()

    public init(config: SyntheticArithmeticConfig = SyntheticArithmeticConfig()) { self.config = config }

    /// The section's keys, in the order they are documented.
    static var schema: ConfigSchema<SyntheticTaskSettings> {
        ConfigSchema(keys: [
            .intRange("steps", \.config.steps, type: "range within 1...12", "operations per problem"),
            .intRange("start_range", \.config.startRange, type: "range inside `value_range`", "the starting amount"),
            .intRange("operand_range", \.config.operandRange, type: "range, >= 1", "operands of + and -"),
            .intRange("multiplier_range", \.config.multiplierRange, type: "range within 2...1000", "factors of x"),
            .intRange("value_range", \.config.valueRange, type: "range within 0...1,000,000",
                      "every intermediate value and the answer stay in it"),
            .double("add_weight", \.config.addWeight, .nonNegative, "relative weight of + (0 disables it)"),
            .double("subtract_weight", \.config.subtractWeight, .nonNegative, "relative weight of -"),
            .double("multiply_weight", \.config.multiplyWeight, .nonNegative, "relative weight of x"),
            .double("training_rare_probability", \.config.trainingRarePhrasingProbability, .probability,
                    "chance that a + or - step of a *training-phrasing* question (the demo's M0 data) uses a rare phrasing"),
            .double("evaluation_rare_probability", \.config.evaluationRarePhrasingProbability, .probability,
                    "the same for dev, test and the RPO question pools"),
            .double("distractor_probability", \.config.distractorProbability, .probability,
                    "chance of each irrelevant sentence with a number"),
            .int("max_distractors", \.config.maxDistractors, 0...8, "at most this many distractors per question"),
            .double("test_fraction", \.config.testFraction, ConfigNumberRule("a number in (0, 1)") { $0 > 0 && $0 < 1 },
                    "share of problem structures reserved for test"),
            .double("dev_fraction", \.config.devFraction, ConfigNumberRule("a number in [0, 1)") { $0 >= 0 && $0 < 1 },
                    "share reserved for dev (test + dev < 1)"),
            .string("partition_salt", \.config.partitionSalt, type: "string, at most 256 bytes",
                    "mixed into the hash that assigns problem structures to train/dev/test: another salt draws a fresh split of the same structures (empty: the original split)"),
        ], rules: { settings, path in try settings.validate(path: path) })
    }

    /// Every key of the section, in the order they are documented.
    public static var keys: [String] { schema.names }

    /// Reads the section (absent keys keep `defaults`' values) and validates the result.
    static func read(_ section: inout ConfigReader, defaults: SyntheticArithmeticConfig = SyntheticArithmeticConfig()) throws -> SyntheticTaskSettings {
        var settings = SyntheticTaskSettings(config: defaults)
        try schema.read(&section, into: &settings)
        try schema.check(settings, path: section.path)
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
