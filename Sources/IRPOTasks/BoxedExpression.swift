/// Finds `\boxed{...}` (and `\fbox{...}`) in LaTeX text, with nested braces.
public enum BoxedExpression {
    /// The content of the last `\boxed{...}` or `\fbox{...}` in `text`, braces balanced
    /// (`\boxed{\frac{1}{2}}` gives `\frac{1}{2}`). Also reads the brace-less form `\boxed 5`
    /// (up to the next `$` or whitespace). Nil when there is none or its braces never close.
    public static func lastContent(in text: String) -> String? {
        let boxed = text.lastRangeOfSubstring("\\boxed")
        let fbox = text.lastRangeOfSubstring("\\fbox")
        let candidates = [boxed, fbox].compactMap { $0 }
        guard let command = candidates.max(by: { $0.lowerBound < $1.lowerBound }) else { return nil }
        var index = command.upperBound
        let substring = Substring(text)
        while index < text.endIndex, text[index] == " " { index = text.index(after: index) }
        if index < text.endIndex, text[index] == "{" {
            return braced(substring, openingAt: index).map { String($0.content) }
        }
        guard index > command.upperBound else { return nil }
        let start = index
        while index < text.endIndex, text[index] != "$", !text[index].isWhitespace { index = text.index(after: index) }
        let content = text[start..<index]
        return content.isEmpty ? nil : String(content)
    }

    /// If `text` contains a `\boxed{}`, the content of the last one; otherwise `text`.
    public static func unwrapped(_ text: String) -> String {
        lastContent(in: text) ?? text
    }

    /// The content between the `{` at `open` and its matching `}`, and the index after the `}`.
    /// Escaped braces (`\{`, `\}`) do not count. Nil when the braces never balance.
    static func braced(_ text: Substring, openingAt open: Substring.Index) -> (content: Substring, end: Substring.Index)? {
        guard open < text.endIndex, text[open] == "{" else { return nil }
        var depth = 0
        var index = open
        var previousWasBackslash = false
        while index < text.endIndex {
            let character = text[index]
            if !previousWasBackslash {
                if character == "{" { depth += 1 }
                if character == "}" {
                    depth -= 1
                    if depth == 0 {
                        return (text[text.index(after: open)..<index], text.index(after: index))
                    }
                }
            }
            previousWasBackslash = character == "\\" && !previousWasBackslash
            index = text.index(after: index)
        }
        return nil
    }
}
