/// An error of an external trainer or of a command run like one (a bad command, a failed run, a
/// model folder it left unusable): says what is wrong and what to do next.
public struct ExternalTrainerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The whole message.
    public let message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
