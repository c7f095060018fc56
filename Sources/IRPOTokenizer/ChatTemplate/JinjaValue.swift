import Foundation
import IRPOFormats

/// A value in the template interpreter, with Python's semantics for printing, truthiness and equality.
indirect enum JinjaValue {
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaObject)
    case namespace(JinjaNamespace)
    /// A global function (`raise_exception`, `namespace`, `range`, ...).
    case function(String)
    /// A method of a value, e.g. `content.strip`.
    case method(JinjaValue, String)

    /// Converts JSON-like Swift values (String, Int, Double, Bool, arrays, dictionaries, NSNull).
    init(any value: Any?) {
        switch value {
        case nil, is NSNull: self = .none
        case let value as JinjaValue: self = value
        case let value as String: self = .string(value)
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .int(value)
        case let value as Double: self = .double(value)
        case let value as Float: self = .double(Double(value))
        case let value as [Any]: self = .array(value.map { JinjaValue(any: $0) })
        case let value as [(String, Any)]:
            self = .object(JinjaObject(value.map { ($0.0, JinjaValue(any: $0.1)) }))
        case let value as [String: Any]:
            // Dictionaries from Swift have no order; keep keys sorted for determinism.
            self = .object(JinjaObject(value.keys.sorted().map { ($0, JinjaValue(any: value[$0])) }))
        default: self = .string(value.map { String(describing: $0) } ?? "None")
        }
    }

    var isDefined: Bool { if case .undefined = self { return false }; return true }

    /// Python truthiness.
    var truthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .double(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .array(let value): return !value.isEmpty
        case .object(let value): return !value.keys.isEmpty
        case .namespace, .function, .method: return true
        }
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .object: return "dict"
        case .namespace: return "Namespace"
        case .function, .method: return "function"
        }
    }

    /// Python `str()`, as `{{ value }}` prints it (undefined prints as nothing).
    var printed: String {
        switch self {
        case .undefined: return ""
        case .string(let value): return value
        default: return repr
        }
    }

    /// Python `repr()`.
    var repr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return Self.pythonFloat(value)
        case .string(let value):
            let quote = value.contains("'") && !value.contains("\"") ? "\"" : "'"
            var result = quote
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\\": result += "\\\\"
                case "\n": result += "\\n"
                case "\r": result += "\\r"
                case "\t": result += "\\t"
                default:
                    if String(scalar) == quote { result += "\\" + quote }
                    else if scalar.value < 0x20 || scalar.value == 0x7F { result += String(format: "\\x%02x", scalar.value) }
                    else { result.unicodeScalars.append(scalar) }
                }
            }
            return result + quote
        case .array(let items): return "[" + items.map(\.repr).joined(separator: ", ") + "]"
        case .object(let object):
            return "{" + object.keys.map { "'\($0)': \(object.values[$0]?.repr ?? "None")" }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .function(let name), .method(_, let name): return "<function \(name)>"
        }
    }

    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), abs(value) < 1e16 { return String(format: "%.1f", value) }
        return "\(value)"
    }

    /// `printed` (or `repr`), built incrementally so it fails instead of growing past
    /// `JinjaLimits.maxStringBytes` (a list may repeat one long string many times).
    func bounded(repr asRepr: Bool = false, line: Int?) throws -> String {
        var out = ""
        try write(to: &out, repr: asRepr, line: line)
        return out
    }

    private func write(to out: inout String, repr asRepr: Bool, line: Int?) throws {
        switch self {
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += ", " }
                try item.write(to: &out, repr: true, line: line)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, key) in object.keys.enumerated() {
                if index > 0 { out += ", " }
                out += "'\(key)': "
                try JinjaBudget.checkBytes(out.utf8.count, line: line)
                try (object.values[key] ?? .none).write(to: &out, repr: true, line: line)
            }
            out += "}"
        default:
            out += asRepr ? repr : printed
        }
        try JinjaBudget.checkBytes(out.utf8.count, line: line)
    }

    /// `json.dumps(value, ensure_ascii=False, indent=indent)` as transformers' `tojson` filter produces it.
    /// - Throws: `ChatTemplateError` for values JSON cannot hold, or when the text would pass
    ///   `JinjaLimits.maxStringBytes` (`indent` must be at most `JinjaLimits.maxIndentWidth`).
    func json(indent: Int?, level: Int = 0) throws -> String {
        if let indent, !(0...JinjaLimits.maxIndentWidth).contains(indent) {
            throw ChatTemplateError(.runtime, "tojson indent \(indent) is outside 0...\(JinjaLimits.maxIndentWidth)")
        }
        guard level <= JinjaLimits.maxValueDepth else { throw JinjaBudget.tooDeep(line: nil) }
        let newline = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) }
        let closing = indent.map { "\n" + String(repeating: " ", count: $0 * level) }
        /// Joins parts as they are made, failing once the text passes the limit.
        func joined(_ count: Int, open: String, close: String, _ part: (Int) throws -> String) throws -> String {
            var out = open
            for index in 0..<count {
                out += index == 0 ? (newline ?? "") : "," + (newline ?? " ")
                out += try part(index)
                try JinjaBudget.checkBytes(out.utf8.count, line: nil)
            }
            return out + (closing ?? "") + close
        }
        switch self {
        case .undefined, .function, .method, .namespace:
            throw ChatTemplateError(.runtime, "Object of type \(typeName) is not JSON serializable")
        case .none: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .int(let value): return String(value)
        case .double(let value):
            if value.isNaN { return "NaN" }
            if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
            return Self.pythonFloat(value)
        case .string(let value): return Self.jsonString(value)
        case .array(let items):
            if items.isEmpty { return "[]" }
            return try joined(items.count, open: "[", close: "]") { try items[$0].json(indent: indent, level: level + 1) }
        case .object(let object):
            if object.keys.isEmpty { return "{}" }
            return try joined(object.keys.count, open: "{", close: "}") { index in
                let key = object.keys[index]
                return Self.jsonString(key) + ": " + (try (object.values[key] ?? .none).json(indent: indent, level: level + 1))
            }
        }
    }

    /// A JSON string literal (see `JSONStringLiteral`).
    static func jsonString(_ value: String) -> String { JSONStringLiteral.quote(value) }

    /// Python `==` (numbers compare across int, float and bool).
    func equals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.object(let a), .object(let b)):
            return Set(a.keys) == Set(b.keys) && a.keys.allSatisfy { key in
                (a.values[key] ?? .none).equals(b.values[key] ?? .none)
            }
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let a = numeric, let b = other.numeric { return a == b }
            return false
        }
    }

    var numeric: Double? {
        switch self {
        case .bool(let value): return value ? 1 : 0
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The items a `for` loop or a filter iterates: list items, string characters, dictionary keys.
    func iterated(line: Int?) throws -> [JinjaValue] {
        switch self {
        case .undefined: return []
        case .array(let items): return items
        case .string(let text): return text.map { .string(String($0)) }
        case .object(let object): return object.keys.map { .string($0) }
        default: throw ChatTemplateError(.runtime, "'\(typeName)' object is not iterable", line: line)
        }
    }
}

/// A dictionary that keeps its keys in insertion order (as Python's does).
struct JinjaObject {
    var keys: [String] = []
    var values: [String: JinjaValue] = [:]

    init(_ pairs: [(String, JinjaValue)] = []) {
        for (key, value) in pairs { self[key] = value }
    }

    subscript(key: String) -> JinjaValue? {
        get { values[key] }
        set {
            if values[key] == nil { keys.append(key) }
            values[key] = newValue
        }
    }
}

/// The mutable object `namespace(...)` returns.
final class JinjaNamespace {
    var object: JinjaObject
    init(_ object: JinjaObject) { self.object = object }
}
