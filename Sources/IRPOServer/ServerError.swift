/// A failure to set up or run the server (bad configuration, model files, bind errors), with a
/// message that says what is wrong and what to do next.
public struct ServerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The message.
    public let message: String
    /// Creates an error with `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
