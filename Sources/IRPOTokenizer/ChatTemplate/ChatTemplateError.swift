/// An error from parsing or rendering a chat template.
public struct ChatTemplateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Sendable, Equatable {
        /// The template is not valid Jinja.
        case syntax
        /// The template uses a Jinja construct this interpreter does not implement (named in the message).
        case unsupported
        /// Rendering failed (undefined variable use, type error).
        case runtime
        /// The template called `raise_exception(message)`; `message` is the template's message.
        case raised
    }
    public let kind: Kind
    public let message: String
    /// The template line the error is about (1-based), when known.
    public let line: Int?

    init(_ kind: Kind, _ message: String, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.line = line
    }

    public var description: String {
        switch kind {
        case .raised: return "chat template raised: \(message)"
        case .unsupported:
            return "chat template line \(line ?? 0): unsupported construct: \(message); "
                + "render this template with transformers, or extend the interpreter in IRPOTokenizer/ChatTemplate"
        case .syntax: return "chat template line \(line ?? 0): syntax error: \(message)"
        case .runtime: return "chat template line \(line ?? 0): \(message)"
        }
    }
}
