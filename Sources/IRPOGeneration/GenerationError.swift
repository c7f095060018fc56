/// Errors from generation: bad parameters or requests, and model or tokenizer mismatches.
public enum GenerationError: Error, Equatable, CustomStringConvertible {
    /// A parameter is out of range.
    case invalidParameter(key: String, value: String, expected: String)
    /// A request cannot be run as given (empty prompt, token id outside the vocabulary, too long).
    case invalidRequest(String)

    /// The message, ending with what to do next.
    public var description: String {
        switch self {
        case let .invalidParameter(key, value, expected):
            return "generation parameter \(key) = \(value) is invalid: expected \(expected); fix the value in the request or the command line"
        case let .invalidRequest(message):
            return message
        }
    }
}
