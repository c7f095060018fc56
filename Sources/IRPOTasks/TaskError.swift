import Foundation

/// Errors raised while loading datasets, building prompts or looking up tasks and rewards.
///
/// Every message names the file, line, key or value at fault and ends with what to do next.
public enum TaskError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file could not be opened or read.
    case unreadableFile(path: String, reason: String)
    /// A JSONL line (or a JSON file) is not valid JSON, or not an object.
    /// `location` is "path:line" for JSONL, "path[index]" for a JSON array, "path" for a file.
    case malformedJSON(location: String, reason: String)
    /// A required field is absent, null or of the wrong type.
    case missingField(location: String, field: String, expected: String)
    /// A field is present but its value cannot be used.
    case invalidValue(location: String, field: String, value: String, reason: String)
    /// The dataset contains no items.
    case emptyDataset(path: String)
    /// A task, reward or format name that is not registered.
    case unknownName(kind: String, name: String, suggestion: String?, known: [String])
    /// A configuration value is out of range.
    case invalidConfiguration(key: String, value: String, reason: String)
    /// The synthetic generator could not produce enough distinct items.
    case generationExhausted(requested: Int, produced: Int, reason: String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .unreadableFile(path, reason):
            return "\(path): cannot read file (\(reason)); check the path and permissions"
        case let .malformedJSON(location, reason):
            return "\(location): malformed JSON (\(reason)); fix or remove this record"
        case let .missingField(location, field, expected):
            return "\(location): missing field '\(field)' (expected \(expected)); add it or configure the field name"
        case let .invalidValue(location, field, value, reason):
            return "\(location): field '\(field)' has invalid value \(TaskError.quoted(value)): \(reason); fix the item or remove it"
        case let .emptyDataset(path):
            return "\(path): the dataset has no items; point the config at a file with at least one item"
        case let .unknownName(kind, name, suggestion, known):
            let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
            return "unknown \(kind) '\(name)'.\(hint) Known: \(known.joined(separator: ", "))"
        case let .invalidConfiguration(key, value, reason):
            return "invalid configuration: '\(key)' = \(value): \(reason)"
        case let .generationExhausted(requested, produced, reason):
            return "synthetic task: produced only \(produced) of \(requested) distinct items (\(reason)); widen the ranges, allow more steps or request fewer items"
        }
    }

    /// Same as `description`, for `localizedDescription`.
    public var errorDescription: String? { description }

    static func quoted(_ value: String) -> String {
        let short = value.count > 80 ? String(value.prefix(77)) + "..." : value
        return "\"\(short)\""
    }
}
