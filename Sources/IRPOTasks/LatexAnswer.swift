import Foundation

/// Normalises and compares MATH answers written in LaTeX, in the spirit of Hendrycks et al.'s
/// `is_equiv` / `strip_string` (MATH dataset, 2021), with a few additions. Nothing is evaluated.
///
/// `normalize` applies, in order:
/// 1. the content of the last `\boxed{}` if there is one; otherwise a leading phrase such as
///    "The final answer is" is dropped;
/// 2. `\$` and math-mode `$` removed; line breaks, `\!`, `\,`, `\;`, `\:`, `\quad`, `~`,
///    `\displaystyle` removed; `\\` becomes `\`;
/// 3. `\tfrac`/`\dfrac` become `\frac`; `\left` and `\right` removed;
/// 4. degrees (`^\circ`, `^{\circ}`, `°`) removed; the Unicode minus becomes `-`;
/// 5. units: a trailing `\text{...}`/`\mbox{...}`/`\mathrm{...}` after a value is dropped
///    ("5\text{ cm}"), as is everything after Hendrycks' `"\text{ "`; remaining `\text{X}`,
///    `\textbf{X}`, `\mathrm{X}`, `\mbox{X}` become `X`;
/// 6. `\%` and `%` removed; " ." and "{." get a leading zero, as does a leading ".";
/// 7. a short left-hand side is dropped ("x = 5" gives "5"; at most two characters);
/// 8. all spaces removed; `\sqrt3` becomes `\sqrt{3}`; `\frac12` becomes `\frac{1}{2}`;
///    `^{2}` becomes `^2`; a trailing "." is removed;
/// 9. "0.5" becomes `\frac{1}{2}`, an integer ratio "a/b" becomes `\frac{a}{b}`, and grouped
///    thousands "1,000" become "1000" when that is the whole answer.
///
/// `equivalent` compares the normalised strings, and when they differ but both are plain
/// numbers or simple fractions (`-\frac{2}{3}`, `\frac{-2}{3}`, `0.25`, `1/4`), compares their
/// exact values.
public enum LatexAnswer {
    /// True when `answer` and `gold` are the same after normalisation (or numerically equal).
    public static func equivalent(_ answer: String, _ gold: String) -> Bool {
        let left = normalize(answer)
        let right = normalize(gold)
        if left.isEmpty || right.isEmpty { return false }
        if left == right { return true }
        if let a = numericValue(of: left), let b = numericValue(of: right) { return a == b }
        return false
    }

    /// The normalised form of a LaTeX answer (see the type's documentation for the steps).
    public static func normalize(_ text: String) -> String {
        var s = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let boxed = BoxedExpression.lastContent(in: s) {
            s = boxed
        } else {
            s = droppingLeadingPhrase(s)
        }
        s = replace(s, [
            ("\\$", ""), ("$", ""), ("\n", ""), ("\r", ""), ("\\!", ""), ("\\,", ""), ("\\;", ""), ("\\:", ""),
            ("\\qquad", ""), ("\\quad", ""), ("\\displaystyle", ""), ("~", " "), ("\\\\", "\\"),
            ("tfrac", "frac"), ("dfrac", "frac"),
            ("^{\\circ}", ""), ("^\\circ", ""), ("°", ""), ("\u{2212}", "-"),
        ])
        s = removingSizing(s)
        s = removingUnits(s)
        s = unwrappingTextCommands(s)
        s = replace(s, [("\\%", ""), ("%", ""), (" .", " 0."), ("{.", "{0.")])
        s = s.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix(".") { s = "0" + s }
        let sides = s.components(separatedBy: "=")
        if sides.count == 2, sides[0].trimmingCharacters(in: .whitespaces).count <= 2 {
            s = sides[1]
        }
        s = s.replacingOccurrences(of: " ", with: "")
        s = fixingSqrt(s)
        s = fixingFracs(s)
        s = fixingSingleExponents(s)
        while s.hasSuffix(".") { s.removeLast() }
        if s == "0.5" { s = "\\frac{1}{2}" }
        s = fixingSlash(s)
        s = removingThousandsSeparators(s)
        return s
    }

    // MARK: - Steps

    static func replace(_ text: String, _ pairs: [(String, String)]) -> String {
        var s = text
        for (from, to) in pairs where s.contains(from) {
            s = s.replacingOccurrences(of: from, with: to)
        }
        return s
    }

    static let leadingPhrases = [
        "the final answer is", "final answer is", "the answer is", "answer is", "the answer:", "answer:", "is",
    ]

    static func droppingLeadingPhrase(_ text: String) -> String {
        let lowered = text.lowercased()
        for phrase in leadingPhrases where lowered.hasPrefix(phrase + " ") || lowered.hasPrefix(phrase + "$") {
            return String(text.dropFirst(phrase.count)).trimmingCharacters(in: .whitespaces)
        }
        return text
    }

    /// Removes `\left` and `\right` (but not `\rightarrow`, `\leftarrow`).
    static func removingSizing(_ text: String) -> String {
        var s = text
        for command in ["\\left", "\\right"] {
            var searchStart = s.startIndex
            while let range = s.firstRangeOfSubstring(command, from: searchStart) {
                if range.upperBound < s.endIndex, s[range.upperBound].isLetter {
                    searchStart = range.upperBound
                    continue
                }
                let offset = s.distance(from: s.startIndex, to: range.lowerBound)
                s.removeSubrange(range)
                searchStart = s.index(s.startIndex, offsetBy: offset)
            }
        }
        return s
    }

    static let textCommands = ["\\text", "\\textbf", "\\textrm", "\\mathrm", "\\mathbf", "\\mbox"]

    /// Drops unit text after a value: Hendrycks' rule (everything from the last `"\text{ "`)
    /// and a trailing text command whose content is a word ("5\text{cm}", "12 \mbox{inches}").
    static func removingUnits(_ text: String) -> String {
        var s = text
        if let range = s.lastRangeOfSubstring("\\text{ "), range.lowerBound > s.startIndex {
            let before = s[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            if !before.isEmpty { s = before }
        }
        for command in textCommands {
            guard let range = s.lastRangeOfSubstring(command + "{"),
                  let (content, end) = BoxedExpression.braced(Substring(s), openingAt: s.index(before: range.upperBound)),
                  end == s.endIndex
            else { continue }
            let before = s[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            let isWord = !content.isEmpty && content.allSatisfy { $0.isLetter || $0 == " " || $0 == "^" || $0 == "2" || $0 == "3" }
            if isWord, let last = before.last, last.isNumber || last == "}" {
                s = before
            }
        }
        return s
    }

    /// `\text{X}` becomes `X` for every text-like command.
    static func unwrappingTextCommands(_ text: String) -> String {
        var s = text
        for command in textCommands.sorted(by: { $0.count > $1.count }) {
            while let range = s.firstRangeOfSubstring(command + "{") {
                guard let (content, end) = BoxedExpression.braced(Substring(s), openingAt: s.index(before: range.upperBound)) else { break }
                s.replaceSubrange(range.lowerBound..<end, with: String(content))
            }
        }
        return s
    }

    /// `\sqrt3` becomes `\sqrt{3}` (Hendrycks' `_fix_sqrt`).
    static func fixingSqrt(_ text: String) -> String {
        guard text.contains("\\sqrt") else { return text }
        let parts = text.components(separatedBy: "\\sqrt")
        var result = parts[0]
        for part in parts.dropFirst() {
            if let first = part.first, first != "{", first != "[", first != " " {
                result += "\\sqrt{\(first)}" + part.dropFirst()
            } else {
                result += "\\sqrt" + part
            }
        }
        return result
    }

    /// `\frac12` becomes `\frac{1}{2}`, `\frac1{2}` becomes `\frac{1}{2}`, `\frac{1}2` becomes
    /// `\frac{1}{2}` (Hendrycks' `_fix_fracs`, without its failure cases).
    static func fixingFracs(_ text: String) -> String {
        guard text.contains("\\frac") else { return text }
        let parts = text.components(separatedBy: "\\frac")
        var result = parts[0]
        for part in parts.dropFirst() {
            result += "\\frac"
            var rest = Substring(part)
            for _ in 0..<2 {
                if rest.first == "{" {
                    guard let (content, end) = BoxedExpression.braced(rest, openingAt: rest.startIndex) else { break }
                    result += "{\(content)}"
                    rest = rest[end...]
                } else if let first = rest.first {
                    result += "{\(first)}"
                    rest = rest.dropFirst()
                }
            }
            result += rest
        }
        return result
    }

    /// `^{2}` becomes `^2` for a single-character exponent.
    static func fixingSingleExponents(_ text: String) -> String {
        guard text.contains("^{") else { return text }
        var characters = Array(text)
        var i = 0
        while i + 3 < characters.count {
            if characters[i] == "^", characters[i + 1] == "{", characters[i + 3] == "}" {
                characters.remove(at: i + 3)
                characters.remove(at: i + 1)
            }
            i += 1
        }
        return String(characters)
    }

    /// An integer ratio "a/b" becomes `\frac{a}{b}` (Hendrycks' `_fix_a_slash_b`).
    static func fixingSlash(_ text: String) -> String {
        let parts = text.components(separatedBy: "/")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]) else { return text }
        return "\\frac{\(a)}{\(b)}"
    }

    /// "1,000,000" becomes "1000000" when the whole answer is one grouped number.
    static func removingThousandsSeparators(_ text: String) -> String {
        guard text.contains(","), case let .number(token) = NumericAnswer.read(text),
              token.text == text, !token.isPercent
        else { return text }
        return text.replacingOccurrences(of: ",", with: "")
    }

    /// The exact value of a normalised answer that is a plain number or a simple fraction.
    static func numericValue(of normalized: String) -> ExactNumber? {
        var s = Substring(normalized)
        var negative = false
        if s.hasPrefix("-") { negative = true; s = s.dropFirst() }
        if s.hasPrefix("\\frac{") {
            guard let (numerator, afterNumerator) = BoxedExpression.braced(s, openingAt: s.index(s.startIndex, offsetBy: 5)),
                  afterNumerator < s.endIndex,
                  let (denominator, end) = BoxedExpression.braced(s, openingAt: afterNumerator), end == s.endIndex,
                  let top = ExactNumber(decimalLiteral: String(numerator)),
                  let bottom = ExactNumber(decimalLiteral: String(denominator)),
                  let value = ExactNumber(numerator: top.numerator * bottom.denominator, denominator: top.denominator * bottom.numerator)
            else { return nil }
            return negative ? ExactNumber(numerator: -value.numerator, denominator: value.denominator) : value
        }
        guard let value = ExactNumber(decimalLiteral: String(s)) else { return nil }
        return negative ? ExactNumber(numerator: -value.numerator, denominator: value.denominator) : value
    }
}
