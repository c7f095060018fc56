import Foundation

/// One row of a docs table of config keys.
struct ConfigKeyRow: Equatable {
    /// The dotted key path.
    var key: String
    /// Type and bounds.
    var type: String
    /// The default, as the docs write it.
    var defaultText: String
    /// What the key does (markdown).
    var meaning: String
}

/// The keys of one config section as docs/configuration.md shows them (`irpo run --print-keys`).
public struct ConfigKeyTable: Equatable {
    /// The section's dotted path ("" for the top level).
    public var path: String
    var rows: [ConfigKeyRow]

    /// The line that precedes this table in docs/configuration.md.
    public var marker: String { "<!-- config keys: \(path.isEmpty ? "top level" : path) -->" }

    /// The table in markdown, one line per key.
    public var markdown: String {
        var lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
        for row in rows {
            lines.append("| `\(row.key)` | \(row.type) | \(row.defaultText) | \(row.meaning) |")
        }
        return lines.joined(separator: "\n")
    }
}

extension ConfigValue {
    /// The value as the docs' default column writes it: strings in backticks, "" for empty.
    var docsText: String {
        switch self {
        case let .string(text): return text.isEmpty ? "\"\"" : "`\(text)`"
        case .null: return "null"
        case let .array(values): return "[" + values.map(\.plainText).joined(separator: ", ") + "]"
        default: return plainText
        }
    }

    /// Numbers with short exponents (7e-7), strings unquoted.
    private var plainText: String {
        switch self {
        case let .string(text): return text
        case .number:
            return description.replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e+")
        default: return description
        }
    }
}
