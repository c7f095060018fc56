import Foundation

/// JSON string literals written the way Python's `json.dumps(..., ensure_ascii=False)` writes
/// them (so chat-template `tojson` output and our JSON files match the reference byte for byte).
public enum JSONStringLiteral {
    /// `text` as a quoted JSON string: `"` `\` and control characters escaped (`\n`, `\r`, `\t`,
    /// `\b`, `\f`, else `\u00XX`); every other character is kept as is.
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            default:
                if scalar.value < 0x20 {
                    result += String(format: "\\u%04x", scalar.value)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        result += "\""
        return result
    }
}
