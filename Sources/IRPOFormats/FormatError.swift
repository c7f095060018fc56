import Foundation

/// Error for anything wrong in a file read or written by IRPOFormats.
///
/// The message names the fault and ends with what to do next; `description` prefixes it with the file.
public struct FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Path of the file at fault (or a short label when there is no file).
    public let file: String
    /// What is wrong and what to do about it.
    public let message: String

    /// Creates an error for `file` with `message`.
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }

    /// Creates an error for the file at `url`.
    public init(url: URL, _ message: String) {
        self.init(file: url.path, message: message)
    }

    public var description: String { "\(file): \(message)" }
}

extension FormatError: LocalizedError {
    public var errorDescription: String? { description }
}
