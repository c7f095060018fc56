import Foundation

/// MATH (Hendrycks et al., 2021): records `{"problem", "solution", "level", "type"}` where the
/// solution puts the final answer in `\boxed{...}`. Reads a JSONL file, a JSON file, or the
/// original directory layout (`train/<subject>/<n>.json`, one object per file, sorted by path).
///
/// `goldAnswer` is the content of the solution's last `\boxed{}` (nested braces kept:
/// `\boxed{\frac{1}{2}}` gives `\frac{1}{2}`); `goldSolution` is the solution followed by
/// "Final answer: <gold>"; `level` and `type` go to `metadata` when present.
public struct MATHDataset: RecordDataset, Hashable, Codable {
    /// Field holding the problem.
    public var problemField: String
    /// Field holding the worked solution with `\boxed{}`.
    public var solutionField: String
    /// The phrase that introduces the final answer in the rendered gold solution.
    public var finalAnswerPrefix: String

    /// Creates a loader with MATH's field names.
    public init(problemField: String = "problem", solutionField: String = "solution", finalAnswerPrefix: String = "Final answer: ") {
        self.problemField = problemField
        self.solutionField = solutionField
        self.finalAnswerPrefix = finalAnswerPrefix
    }

    /// Builds one item from a record.
    public func item(from record: JSONRecord, defaultID: String) throws -> TaskItem {
        let problem = try record.string(problemField)
        let solution = try record.string(solutionField)
        guard let gold = BoxedExpression.lastContent(in: solution)?.trimmingCharacters(in: .whitespacesAndNewlines), !gold.isEmpty else {
            throw TaskError.invalidValue(location: record.location, field: solutionField, value: solution, reason: "no \\boxed{...} with balanced braces holds the final answer")
        }
        var metadata: [String: String] = [:]
        if let level = try record.optionalString("level") { metadata["level"] = level }
        if let type = try record.optionalString("type") { metadata["type"] = type }
        let id = try record.optionalString("id") ?? record.optionalString("unique_id") ?? defaultID
        let trimmed = solution.trimmingCharacters(in: .whitespacesAndNewlines)
        return TaskItem(id: id, question: problem, goldAnswer: gold, goldSolution: "\(trimmed)\n\(finalAnswerPrefix)\(gold)", metadata: metadata)
    }
}
