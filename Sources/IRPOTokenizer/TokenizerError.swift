/// An error from loading or using a tokenizer or chat template: names the file (or input) at fault,
/// what is wrong with it, and what to do next.
public struct TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (tokenizer.json, a GGUF file, a template) or input the error is about.
    public let file: String
    /// What is wrong, and what to do about it.
    public let message: String

    /// Creates an error about `file`.
    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
