import Foundation

/// ARC (AI2 Reasoning Challenge, Clark et al., 2018) in AI2's JSONL format:
/// `{"id": ..., "question": {"stem": ..., "choices": [{"label": "A", "text": ...}, ...]},
/// "answerKey": "B"}`. The Hugging Face layout (`"question": "..."`,
/// `"choices": {"label": [...], "text": [...]}`) is read too.
///
/// Checks per item: the number of options is within `choiceCounts` (ARC has 3-5), labels are
/// unique and either all letters A-E or all digits 1-5, and the answer key is one of the labels.
/// The item's `goldAnswer` is the answer key; labels are kept as in the data.
public struct ARCDataset: RecordDataset, Hashable, Codable {
    /// Allowed number of options per question.
    public var choiceCounts: ClosedRange<Int>

    /// Creates a loader.
    public init(choiceCounts: ClosedRange<Int> = 3...5) {
        self.choiceCounts = choiceCounts
    }

    static let letterLabels: Set<String> = ["A", "B", "C", "D", "E"]
    static let digitLabels: Set<String> = ["1", "2", "3", "4", "5"]

    /// Builds one item from a record.
    public func item(from record: JSONRecord, defaultID: String) throws -> TaskItem {
        let stem: String
        var choices: [TaskItem.Choice] = []
        if record.value(at: "question") is [String: Any] {
            stem = try record.string("question.stem")
            for (index, object) in try record.objects("question.choices").enumerated() {
                let context = "question.choices[\(index)]"
                choices.append(TaskItem.Choice(
                    label: try record.string("label", in: object, context: context).trimmingCharacters(in: .whitespaces),
                    text: try record.string("text", in: object, context: context)))
            }
        } else {
            stem = try record.string("question")
            guard let table = record.value(at: "choices") as? [String: Any],
                  let labels = table["label"] as? [Any], let texts = table["text"] as? [Any]
            else {
                throw TaskError.missingField(location: record.location, field: "question.choices", expected: "AI2 choices [{label, text}] or HF choices {label: [...], text: [...]}")
            }
            guard labels.count == texts.count else {
                throw TaskError.invalidValue(location: record.location, field: "choices", value: "\(labels.count) labels, \(texts.count) texts", reason: "label and text lists differ in length")
            }
            for (label, text) in zip(labels, texts) {
                guard let label = JSONRecord.text(of: label), let text = JSONRecord.text(of: text) else {
                    throw TaskError.invalidValue(location: record.location, field: "choices", value: "\(label): \(text)", reason: "labels and texts must be strings")
                }
                choices.append(TaskItem.Choice(label: label.trimmingCharacters(in: .whitespaces), text: text))
            }
        }
        let key = try record.string("answerKey").trimmingCharacters(in: .whitespaces)
        let id = try record.optionalString("id") ?? defaultID
        try validate(choices: choices, answerKey: key, location: record.location)
        return TaskItem(id: id, question: stem, goldAnswer: key, choices: choices)
    }

    func validate(choices: [TaskItem.Choice], answerKey: String, location: String) throws {
        let labels = choices.map(\.label)
        guard choiceCounts.contains(choices.count) else {
            throw TaskError.invalidValue(location: location, field: "question.choices", value: labels.joined(separator: ","), reason: "\(choices.count) options, expected \(choiceCounts.lowerBound)-\(choiceCounts.upperBound)")
        }
        guard Set(labels).count == labels.count else {
            throw TaskError.invalidValue(location: location, field: "question.choices", value: labels.joined(separator: ","), reason: "labels are not unique")
        }
        let labelSet = Set(labels)
        guard labelSet.isSubset(of: Self.letterLabels) || labelSet.isSubset(of: Self.digitLabels) else {
            throw TaskError.invalidValue(location: location, field: "question.choices", value: labels.joined(separator: ","), reason: "labels must be all letters A-E or all digits 1-5")
        }
        guard labelSet.contains(answerKey) else {
            throw TaskError.invalidValue(location: location, field: "answerKey", value: answerKey, reason: "not among the labels \(labels.joined(separator: ","))")
        }
    }
}
