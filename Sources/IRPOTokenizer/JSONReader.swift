import Foundation

/// A parsed JSON value with its location, for reading tokenizer.json with errors that name the file and key.
struct JSONReader {
    let value: Any
    let file: String
    let path: String

    init(data: Data, file: String) throws {
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError(file: file, "is not valid JSON (\(error.localizedDescription)); "
                + "regenerate it with the `tokenizers` library (Tokenizer.save)")
        }
        self.file = file
        self.path = "$"
    }

    init(value: Any, file: String, path: String) {
        self.value = value
        self.file = file
        self.path = path
    }

    func error(_ message: String) -> TokenizerError {
        TokenizerError(file: file, "\(path): \(message)")
    }

    var isNull: Bool { Self.isNull(value) }

    /// Whether a parsed value is JSON null. Compares the dynamic type: `value is NSNull` would bridge a
    /// large native dictionary or array to Objective-C just to answer no.
    static func isNull(_ value: Any) -> Bool { type(of: value) == NSNull.self }

    func object() throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw error("expected a JSON object") }
        return object
    }

    func array() throws -> [JSONReader] {
        guard let array = value as? [Any] else { throw error("expected a JSON array") }
        return array.enumerated().map { JSONReader(value: $0.element, file: file, path: "\(path)[\($0.offset)]") }
    }

    func string() throws -> String {
        guard let string = value as? String else { throw error("expected a string") }
        return string
    }

    func int() throws -> Int {
        guard let int = value as? Int else { throw error("expected an integer") }
        return int
    }

    func bool() throws -> Bool {
        guard let bool = value as? Bool else { throw error("expected true or false") }
        return bool
    }

    /// The member `key`, or nil when it is absent or null.
    func optional(_ key: String) throws -> JSONReader? {
        let object = try object()
        guard let member = object[key], !Self.isNull(member) else { return nil }
        return JSONReader(value: member, file: file, path: "\(path).\(key)")
    }

    /// The member `key`; throws when it is absent or null.
    func required(_ key: String) throws -> JSONReader {
        guard let member = try optional(key) else {
            throw error("missing key \"\(key)\"")
        }
        return member
    }

    func string(_ key: String) throws -> String { try required(key).string() }
    func optionalString(_ key: String) throws -> String? { try optional(key)?.string() }
    func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        try optional(key)?.bool() ?? defaultValue
    }
    func int(_ key: String) throws -> Int { try required(key).int() }

    /// The `"type"` member that names a component (normalizer, pre-tokenizer, model, decoder, post-processor).
    func componentType() throws -> String { try string("type") }
}
