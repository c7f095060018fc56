/// A quantisation that cannot be done, with the reason.
public struct QuantizationError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String
    /// Creates an error with `description`.
    public init(_ description: String) { self.description = description }
}
