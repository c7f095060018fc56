import Foundation

/// One JSON object from a dataset file, with its location for error messages.
///
/// Field accessors take a dotted path ("question.stem") and throw `TaskError.missingField` /
/// `TaskError.invalidValue` naming the location and the field.
public struct JSONRecord {
    /// "path:line" (JSONL), "path[index]" (JSON array) or "path" (one object per file).
    public let location: String
    /// The parsed object.
    public let object: [String: Any]

    /// Wraps an already parsed object.
    public init(object: [String: Any], location: String) {
        self.object = object
        self.location = location
    }

    /// Parses `bytes` as one JSON object.
    /// - Throws: `TaskError.malformedJSON` if the bytes are not JSON or not an object.
    public init(parsing bytes: Data, location: String) throws {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])
        } catch {
            throw TaskError.malformedJSON(location: location, reason: Self.describe(error, bytes: bytes))
        }
        guard let object = value as? [String: Any] else {
            throw TaskError.malformedJSON(location: location, reason: "expected a JSON object, found \(Self.kind(of: value))")
        }
        self.init(object: object, location: location)
    }

    /// The raw value at a dotted path, or nil if any component is absent or null.
    public func value(at path: String) -> Any? {
        var current: Any = object
        for key in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let dictionary = current as? [String: Any], let next = dictionary[String(key)] else { return nil }
            current = next
        }
        return current is NSNull ? nil : current
    }

    /// A required string field. Numbers are accepted and written in their shortest form
    /// (an answer field often holds `72` rather than `"72"`).
    public func string(_ path: String) throws -> String {
        guard let value = value(at: path) else {
            throw TaskError.missingField(location: location, field: path, expected: "a string")
        }
        guard let text = Self.text(of: value) else {
            throw TaskError.invalidValue(location: location, field: path, value: String(describing: value), reason: "expected a string or a number, found \(Self.kind(of: value))")
        }
        return text
    }

    /// An optional string field: nil when absent or null; throws when present with another type.
    public func optionalString(_ path: String) throws -> String? {
        guard value(at: path) != nil else { return nil }
        return try string(path)
    }

    /// A required array of objects.
    public func objects(_ path: String) throws -> [[String: Any]] {
        guard let value = value(at: path) else {
            throw TaskError.missingField(location: location, field: path, expected: "an array of objects")
        }
        guard let array = value as? [Any] else {
            throw TaskError.invalidValue(location: location, field: path, value: String(describing: value), reason: "expected an array, found \(Self.kind(of: value))")
        }
        return try array.enumerated().map { index, element in
            guard let object = element as? [String: Any] else {
                throw TaskError.invalidValue(location: location, field: "\(path)[\(index)]", value: String(describing: element), reason: "expected an object, found \(Self.kind(of: element))")
            }
            return object
        }
    }

    /// A field of a nested object (for example one element of `objects(_:)`) as a string.
    public func string(_ key: String, in object: [String: Any], context: String) throws -> String {
        guard let value = object[key], !(value is NSNull) else {
            throw TaskError.missingField(location: location, field: "\(context).\(key)", expected: "a string")
        }
        guard let text = Self.text(of: value) else {
            throw TaskError.invalidValue(location: location, field: "\(context).\(key)", value: String(describing: value), reason: "expected a string or a number, found \(Self.kind(of: value))")
        }
        return text
    }

    static func text(of value: Any) -> String? {
        if let string = value as? String { return string }
        if let number = value as? NSNumber, !isBoolean(number) {
            return number.stringValue
        }
        return nil
    }

    /// JSON `true`/`false` arrive as NSNumber with Objective-C type "c" on every platform.
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    static func kind(of value: Any) -> String {
        switch value {
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        case is NSNull: return "null"
        case let number as NSNumber:
            return isBoolean(number) ? "a boolean" : "a number"
        default: return "a \(type(of: value))"
        }
    }

    static func describe(_ error: Error, bytes: Data) -> String {
        let preview = String(decoding: bytes.prefix(60), as: UTF8.self)
        let nsError = error as NSError
        let detail = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
        return "\(detail); line starts with \(TaskError.quoted(preview))"
    }
}
