/// One question of a reasoning dataset, with its gold answer.
///
/// `goldAnswer` is what rewards compare against: a number for GSM8K-style tasks, a choice label
/// for multiple choice (ARC), a LaTeX expression for MATH. `goldSolution` is a complete gold
/// completion ending in "Final answer: ..." when the dataset has one (GSM8K, MATH, the synthetic
/// task); the pipeline may add it to the winners of a question.
public struct TaskItem: Sendable, Hashable, Codable {
    /// One option of a multiple-choice question.
    public struct Choice: Sendable, Hashable, Codable {
        /// The label as it appears in the data ("A"..."E" or "1"..."5").
        public var label: String
        /// The option text.
        public var text: String

        /// Creates an option.
        public init(label: String, text: String) {
            self.label = label
            self.text = text
        }
    }

    /// A stable identifier, unique within its dataset.
    public var id: String
    /// The question text (without choices; those are in `choices`).
    public var question: String
    /// The gold final answer (number, choice label or LaTeX expression).
    public var goldAnswer: String
    /// A gold completion ending in "Final answer: <goldAnswer>", if the dataset provides one.
    public var goldSolution: String?
    /// The options of a multiple-choice question; empty otherwise.
    public var choices: [Choice]
    /// Free-form extra fields (MATH `level` and `type`, the synthetic task's structure).
    public var metadata: [String: String]

    /// Creates an item.
    public init(
        id: String,
        question: String,
        goldAnswer: String,
        goldSolution: String? = nil,
        choices: [Choice] = [],
        metadata: [String: String] = [:]
    ) {
        self.id = id
        self.question = question
        self.goldAnswer = goldAnswer
        self.goldSolution = goldSolution
        self.choices = choices
        self.metadata = metadata
    }
}
