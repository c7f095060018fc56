/// Turns a question (and its options) into the prompt text a model completes.
///
/// Layout, with `blockSeparator` between blocks:
/// ```
/// <instruction>                      (omitted when empty)
/// <questionPrefix><example question> (one pair per few-shot example)
/// <solutionCue><completionSeparator><example solution>
/// <questionPrefix><question>[<choicesSeparator><choices>]
/// <solutionCue>
/// ```
/// Options are written with `choiceFormat` ("({label}) {text}") and joined by
/// `choiceJoiner`. The prompt ends with `solutionCue`; a completion is appended after
/// `completionSeparator` (the pipeline scores only the completion).
///
/// Chat models: pass a wrapper (for example the tokenizer's chat template applied to a single
/// user message) to `render(item:wrap:)`; this module never depends on a tokenizer.
public struct PromptTemplate: Sendable, Hashable, Codable {
    /// A worked example shown before the question.
    public struct Example: Sendable, Hashable, Codable {
        /// The example question.
        public var question: String
        /// Its solution, ending in the answer format the model should copy.
        public var solution: String

        /// Creates an example.
        public init(question: String, solution: String) {
            self.question = question
            self.solution = solution
        }
    }

    /// Text before everything else; empty for none.
    public var instruction: String
    /// Few-shot examples (MATH uses four).
    public var examples: [Example]
    /// Written before each question.
    public var questionPrefix: String
    /// Written after the question; the completion follows it.
    public var solutionCue: String
    /// Between blocks (instruction, each question, each solution cue).
    public var blockSeparator: String
    /// Between the question and its options.
    public var choicesSeparator: String
    /// How one option is written; `{label}` and `{text}` are replaced.
    public var choiceFormat: String
    /// Between two options.
    public var choiceJoiner: String
    /// Between the cue and a completion (also used inside few-shot examples).
    public var completionSeparator: String

    /// Creates a template; the defaults are the paper's zero-shot layout without instruction.
    public init(
        instruction: String = "",
        examples: [Example] = [],
        questionPrefix: String = "Question: ",
        solutionCue: String = "Solution:",
        blockSeparator: String = "\n\n",
        choicesSeparator: String = "\n",
        choiceFormat: String = "({label}) {text}",
        choiceJoiner: String = " ",
        completionSeparator: String = " "
    ) {
        self.instruction = instruction
        self.examples = examples
        self.questionPrefix = questionPrefix
        self.solutionCue = solutionCue
        self.blockSeparator = blockSeparator
        self.choicesSeparator = choicesSeparator
        self.choiceFormat = choiceFormat
        self.choiceJoiner = choiceJoiner
        self.completionSeparator = completionSeparator
    }

    /// The prompt for a question without options.
    public func render(question: String) -> String {
        render(question: question, choices: [])
    }

    /// The prompt for an item (with its options, if any).
    public func render(item: TaskItem) -> String {
        render(question: item.question, choices: item.choices)
    }

    /// The prompt for an item, passed through `wrap` (for example a chat template) when given.
    public func render(item: TaskItem, wrap: ((String) throws -> String)?) throws -> String {
        let prompt = render(item: item)
        guard let wrap else { return prompt }
        return try wrap(prompt)
    }

    /// The prompt followed by a completion, as the model sees a full sequence.
    public func fullText(item: TaskItem, completion: String) -> String {
        render(item: item) + completionSeparator + completion
    }

    func render(question: String, choices: [TaskItem.Choice]) -> String {
        var blocks: [String] = []
        if !instruction.isEmpty { blocks.append(instruction) }
        for example in examples {
            blocks.append(questionPrefix + example.question)
            blocks.append(solutionCue + completionSeparator + example.solution)
        }
        var questionBlock = questionPrefix + question
        if !choices.isEmpty {
            let options = choices.map { choice in
                choiceFormat
                    .replacingOccurrences(of: "{label}", with: choice.label)
                    .replacingOccurrences(of: "{text}", with: choice.text)
            }
            questionBlock += choicesSeparator + options.joined(separator: choiceJoiner)
        }
        blocks.append(questionBlock)
        blocks.append(solutionCue)
        return blocks.joined(separator: blockSeparator)
    }
}
