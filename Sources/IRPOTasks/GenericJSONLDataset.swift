import Foundation

/// Any JSONL (or JSON) dataset with configurable field names; dotted paths reach nested fields
/// ("data.question"). Numbers in the answer field are accepted (`"answer": 72`).
public struct GenericJSONLDataset: RecordDataset, Hashable, Codable {
    /// Field holding the question.
    public var questionField: String
    /// Field holding the gold final answer.
    public var answerField: String
    /// Optional field holding a complete gold solution (ending in "Final answer: ...").
    public var solutionField: String?
    /// Optional field holding an id; without it ids are "<file stem>-<index>".
    public var idField: String?
    /// Reject items whose answer is not a single number (for numeric rewards).
    public var requireNumericAnswer: Bool

    /// Creates a loader.
    public init(questionField: String = "question", answerField: String = "answer", solutionField: String? = nil, idField: String? = "id", requireNumericAnswer: Bool = false) {
        self.questionField = questionField
        self.answerField = answerField
        self.solutionField = solutionField
        self.idField = idField
        self.requireNumericAnswer = requireNumericAnswer
    }

    /// Builds one item from a record.
    public func item(from record: JSONRecord, defaultID: String) throws -> TaskItem {
        let question = try record.string(questionField)
        var answer = try record.string(answerField).trimmingCharacters(in: .whitespacesAndNewlines)
        if answer.isEmpty {
            throw TaskError.invalidValue(location: record.location, field: answerField, value: answer, reason: "the gold answer is empty")
        }
        if requireNumericAnswer {
            guard let value = NumericAnswer.goldValue(answer), case .number = NumericAnswer.read(answer) else {
                throw TaskError.invalidValue(location: record.location, field: answerField, value: answer, reason: "not a single number (requireNumericAnswer is on)")
            }
            answer = value.description
        }
        let solution = try solutionField.flatMap { try record.optionalString($0) }
        let id = try idField.flatMap { try record.optionalString($0) } ?? defaultID
        return TaskItem(id: id, question: question, goldAnswer: answer, goldSolution: solution)
    }
}
