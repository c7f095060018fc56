/// An error of a backend (model or tokenizer files, prompts, a server's answers), with a message that
/// says what is wrong and what to do next.
public struct BackendError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
