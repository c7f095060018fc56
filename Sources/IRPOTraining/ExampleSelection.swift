/// The examples kept for training after the max-length policy, and what was dropped.
///
/// Policy (the paper's: "pairs that exceed the context length are dropped"): an example whose
/// prompt + winner or prompt + loser is longer than `maxLength` tokens is dropped, never
/// truncated, and counted; if every example is dropped, selection fails with a message that
/// gives the longest example and the limit.
public struct ExampleSelection: Sendable {
    /// The kept examples, in file order.
    public var examples: [TrainingExample]
    /// Lines (1-based) of the dropped examples, in file order.
    public var droppedLines: [Int]
    /// The limit applied.
    public var maxLength: Int

    /// Applies the max-length policy to `examples` from `file` (for messages).
    /// - Throws: `TrainingError.invalidConfiguration` for `maxLength < 2`, and
    ///   `TrainingError.invalidData` when nothing is left.
    public init(_ examples: [TrainingExample], maxLength: Int, file: String) throws {
        guard maxLength >= 2 else { throw TrainingError.invalidConfiguration("max length \(maxLength) must be >= 2 (one prompt and one completion token)") }
        self.maxLength = maxLength
        var kept: [TrainingExample] = []
        var dropped: [Int] = []
        for example in examples {
            if example.maxLength > maxLength { dropped.append(example.line) } else { kept.append(example) }
        }
        guard !kept.isEmpty else {
            let longest = examples.map(\.maxLength).max() ?? 0
            throw TrainingError.invalidData(file: file, line: nil, message:
                "all \(examples.count) examples are longer than the max length \(maxLength) tokens (longest: \(longest)); raise --max-length or shorten the data")
        }
        self.examples = kept
        self.droppedLines = dropped
    }

    /// Number of dropped examples.
    public var droppedCount: Int { droppedLines.count }
}
