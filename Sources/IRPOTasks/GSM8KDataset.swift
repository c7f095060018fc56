import Foundation

/// GSM8K (Cobbe et al., 2021): JSONL rows `{"question": ..., "answer": ...}` whose answer is a
/// worked solution with calculator annotations (`<<48/2=24>>`) and a last line `#### N`.
///
/// Each item's `goldAnswer` is N in canonical form (commas removed: "#### 1,200" gives "1200"),
/// and its `goldSolution` is the worked solution with the annotations removed and the `#### N`
/// line replaced by "Final answer: N", which the `gsm8k` reward scores 1.
public struct GSM8KDataset: RecordDataset, Hashable, Codable {
    /// Field holding the question.
    public var questionField: String
    /// Field holding the worked solution ending in "#### N".
    public var answerField: String
    /// Optional field holding an id; when absent ids are "<file stem>-<index>".
    public var idField: String
    /// The phrase that introduces the final answer in the rendered gold solution.
    public var finalAnswerPrefix: String

    /// Creates a loader with GSM8K's field names.
    public init(questionField: String = "question", answerField: String = "answer", idField: String = "id", finalAnswerPrefix: String = "Final answer: ") {
        self.questionField = questionField
        self.answerField = answerField
        self.idField = idField
        self.finalAnswerPrefix = finalAnswerPrefix
    }

    /// Builds one item from a record.
    public func item(from record: JSONRecord, defaultID: String) throws -> TaskItem {
        let question = try record.string(questionField)
        let answer = try record.string(answerField)
        let (gold, working) = try Self.split(answer, location: record.location, field: answerField)
        let id = try record.optionalString(idField) ?? defaultID
        let solution = working.isEmpty ? "\(finalAnswerPrefix)\(gold)" : "\(working)\n\(finalAnswerPrefix)\(gold)"
        return TaskItem(id: id, question: question, goldAnswer: gold, goldSolution: solution)
    }

    /// Splits a GSM8K answer into the canonical gold number and the working with calculator
    /// annotations removed.
    /// - Throws: `TaskError.invalidValue` when there is no "####" or what follows is not one number.
    public static func split(_ answer: String, location: String, field: String) throws -> (gold: String, working: String) {
        guard let marker = answer.lastRangeOfSubstring("####") else {
            throw TaskError.invalidValue(location: location, field: field, value: answer, reason: "no '#### <number>' line")
        }
        let goldText = answer[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = NumericAnswer.goldValue(goldText) else {
            throw TaskError.invalidValue(location: location, field: field, value: goldText, reason: "the text after '####' is not a single number")
        }
        let working = strippingAnnotations(String(answer[..<marker.lowerBound])).trimmingCharacters(in: .whitespacesAndNewlines)
        return (value.description, working)
    }

    /// Removes calculator annotations `<<...>>` ("48/2 = <<48/2=24>>24" gives "48/2 = 24").
    public static func strippingAnnotations(_ text: String) -> String {
        guard text.containsSubstring("<<") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstRangeOfSubstring("<<") {
            guard let close = rest.firstRangeOfSubstring(">>", from: open.upperBound) else { break }
            result += rest[..<open.lowerBound]
            rest = rest[close.upperBound...]
        }
        result += rest
        return result
    }
}
