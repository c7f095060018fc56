/// An error opening a model path or translating its tokenizer files: names the path or file at
/// fault, what is wrong with it, and what to do next.
public struct ModelSourceError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The whole message.
    public let message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
