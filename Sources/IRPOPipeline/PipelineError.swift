/// An error of the pipeline layer (configuration, run directory, stages), with a message that says what
/// is wrong and what to do next.
public struct PipelineError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
