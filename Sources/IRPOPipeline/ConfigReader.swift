import Foundation
import IRPOTasks

/// Reads one JSON object of a config file, key by key, with defaults, type checks that name the
/// key path and value, and a final check that rejects unknown keys with the nearest valid key.
struct ConfigReader {
    /// Dotted path of this object ("" for the top level, "sampling" for a section).
    let path: String
    let object: [String: ConfigValue]
    /// Keys this section knows (used or not), for the unknown-key check.
    private(set) var known: [String] = []

    init(path: String, object: [String: ConfigValue]) {
        self.path = path
        self.object = object
    }

    /// Whether `file` names a YAML file (`.yaml` / `.yml`); other files are read as JSON.
    static func isYAML(_ file: String) -> Bool {
        let lowered = file.lowercased()
        return lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml")
    }

    /// Parses a whole file's bytes as one object: YAML when `file` ends in `.yaml`/`.yml`, else JSON.
    /// - Throws: `PipelineError` for a syntax error or a file over the size, nesting or value
    ///   limits of `PipelineLimits`.
    static func parse(_ data: Data, file: String) throws -> ConfigReader {
        try ConfigBounds.checkSize(data.count, file: file)
        let value: ConfigValue
        if isYAML(file) {
            guard let text = String(data: data, encoding: .utf8) else {
                throw PipelineError("\(file) is not UTF-8 text; save it as UTF-8")
            }
            value = try ConfigValue.parseYAML(text, file: file)
        } else {
            do {
                value = try JSONDecoder().decode(ConfigValue.self, from: data)
            } catch {
                throw PipelineError("\(file) is not valid JSON (\(error)); fix the syntax (comments are not allowed), or name the file .yaml to write YAML")
            }
            try ConfigBounds.check(value, file: file)
        }
        guard case let .object(object) = value else {
            throw PipelineError(isYAML(file) ? "\(file) must hold one YAML mapping (seed_model: ..., task: ...)"
                                             : "\(file) must hold one JSON object ({\"seed_model\": ..., ...})")
        }
        return ConfigReader(path: "", object: object)
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func fail(_ key: String, _ value: ConfigValue, _ expected: String) -> PipelineError {
        PipelineError("config key `\(keyPath(key))` has value \(value), expected \(expected)")
    }

    private mutating func raw(_ key: String) -> ConfigValue? {
        known.append(key)
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    mutating func string(_ key: String, default value: String) throws -> String {
        try optionalString(key) ?? value
    }

    mutating func optionalString(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard case let .string(string) = value else { throw fail(key, value, "a string") }
        return string
    }

    mutating func double(_ key: String, default value: Double) throws -> Double {
        try optionalDouble(key) ?? value
    }

    mutating func optionalDouble(_ key: String) throws -> Double? {
        guard let raw = raw(key) else { return nil }
        guard case let .number(number) = raw else { throw fail(key, raw, "a number") }
        return number
    }

    mutating func int(_ key: String, default value: Int) throws -> Int {
        try optionalInt(key) ?? value
    }

    mutating func optionalInt(_ key: String) throws -> Int? {
        guard let raw = raw(key) else { return nil }
        guard case let .number(number) = raw, let int = Int(exactly: number) else { throw fail(key, raw, "an integer") }
        return int
    }

    mutating func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let raw = raw(key) else { return value }
        guard case let .bool(flag) = raw else { throw fail(key, raw, "true or false") }
        return flag
    }

    mutating func doubles(_ key: String, default value: [Double]) throws -> [Double] {
        guard let raw = raw(key) else { return value }
        if case let .number(number) = raw { return [number] }
        guard case let .array(list) = raw else { throw fail(key, raw, "a number or a list of numbers") }
        return try list.map { element in
            guard case let .number(number) = element else { throw fail(key, raw, "a list of numbers") }
            return number
        }
    }

    mutating func strings(_ key: String, default value: [String]) throws -> [String] {
        guard let raw = raw(key) else { return value }
        if case let .string(single) = raw { return [single] }
        guard case let .array(list) = raw else { throw fail(key, raw, "a string or a list of strings") }
        return try list.map { element in
            guard case let .string(string) = element else { throw fail(key, raw, "a list of strings") }
            return string
        }
    }

    /// A number or a list of numbers, nil when the key is absent or null.
    mutating func optionalDoubles(_ key: String) throws -> [Double]? {
        isAbsent(key) ? nil : try doubles(key, default: [])
    }

    /// An integer or a list of integers, nil when the key is absent or null.
    mutating func optionalInts(_ key: String) throws -> [Int]? {
        guard let raw = raw(key) else { return nil }
        let list: [ConfigValue]
        if case .number = raw { list = [raw] } else if case let .array(elements) = raw { list = elements } else {
            throw fail(key, raw, "an integer or a list of integers")
        }
        return try list.map { element in
            guard case let .number(number) = element, let int = Int(exactly: number) else {
                throw fail(key, raw, "a list of integers")
            }
            return int
        }
    }

    /// A string or a list of strings, nil when the key is absent or null.
    mutating func optionalStrings(_ key: String) throws -> [String]? {
        isAbsent(key) ? nil : try strings(key, default: [])
    }

    /// Whether `key` is absent or null (it still counts as known).
    private mutating func isAbsent(_ key: String) -> Bool {
        guard isPresent(key) else {
            known.append(key)
            return true
        }
        return false
    }

    /// One of `T`'s raw values (`value` when absent or null); another string names the valid
    /// values and the nearest one.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws -> T where T.RawValue == String {
        guard let name = try optionalString(key) else { return value }
        if let found = T(rawValue: name) { return found }
        let names = T.allCases.map(\.rawValue)
        let hint = NameSuggestion.nearest(to: name, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
        throw PipelineError("config key `\(keyPath(key))` has value \"\(name)\", expected one of \(names.joined(separator: ", "))\(hint)")
    }

    /// A nested section (an empty one when absent).
    mutating func section(_ key: String) throws -> ConfigReader {
        guard let raw = raw(key) else { return ConfigReader(path: keyPath(key), object: [:]) }
        guard case let .object(object) = raw else { throw fail(key, raw, "an object {...}") }
        return ConfigReader(path: keyPath(key), object: object)
    }

    /// Whether `key` is present with a value other than null.
    func isPresent(_ key: String) -> Bool {
        object[key].map { $0 != .null } ?? false
    }

    /// Throws for the first key (in sorted order) that no reader call asked for.
    func rejectUnknownKeys() throws {
        for key in object.keys.sorted() where !known.contains(key) {
            var message = "unknown config key `\(keyPath(key))`"
            if let suggestion = NameSuggestion.nearest(to: key, among: known) {
                message += "; did you mean `\(keyPath(suggestion))`?"
            } else {
                message += "; valid keys here: \(known.joined(separator: ", "))"
            }
            throw PipelineError(message)
        }
    }
}
