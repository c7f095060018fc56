import Foundation

/// A JSON value as read from a config file, keeping booleans, numbers and strings apart.
enum ConfigValue: Codable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ConfigValue])
    case object([String: ConfigValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null; return }
        if let value = try? container.decode(Bool.self) { self = .bool(value); return }
        if let value = try? container.decode(Double.self) { self = .number(value); return }
        if let value = try? container.decode(String.self) { self = .string(value); return }
        if let value = try? container.decode([ConfigValue].self) { self = .array(value); return }
        self = .object(try container.decode([String: ConfigValue].self))
    }

    /// Writes the value as JSON: integral numbers below 2^53 as integers.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case let .bool(value): try container.encode(value)
        case let .number(value):
            if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case let .string(value): try container.encode(value)
        case let .array(values): try container.encode(values)
        case let .object(fields): try container.encode(fields)
        }
    }

    /// The value as written in JSON (for messages).
    var description: String {
        switch self {
        case .null: return "null"
        case let .bool(value): return String(value)
        case let .number(value): return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case let .string(value): return "\"\(value)\""
        case let .array(values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case let .object(fields): return "{" + fields.keys.sorted().map { "\"\($0)\": \(fields[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }
}
