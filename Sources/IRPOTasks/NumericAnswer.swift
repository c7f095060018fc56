import Foundation

/// Reads a number out of an extracted answer and compares it with a gold number.
///
/// Accepted spellings: thousands separators in groups of three (`1,234,567`), decimals
/// (`1234.00`, `.5`), currency signs (`$`, `€`, `£`, `¥`, also `\$`), fractions (`1/2`,
/// `\frac{1}{2}`, `\dfrac12` is not accepted), percent signs (`25%`, `25\%`, see
/// `PercentPolicy`), signs including the Unicode minus (`−5`) and dashes directly before a digit,
/// and surrounding words ("$18 per day"), LaTeX wrappers (`\boxed{}`, `\text{}`), Markdown bold.
///
/// An answer is *ambiguous* when it contains two or more different numbers ("12 or 13",
/// "12-13", "3 + 4 = 7", "1,2345"): it is never taken as either one. Repeating the same number
/// ("18 (18 eggs)") is fine. Spelled-out numbers ("twelve") are not read.
public enum NumericAnswer {
    /// One number found in a text.
    public struct Token: Sendable, Equatable {
        /// The value without the percent sign applied.
        public var value: ExactNumber
        /// True when the number was followed by a percent sign.
        public var isPercent: Bool
        /// The characters the number was read from.
        public var text: String
    }

    /// What an answer text holds.
    public enum Reading: Sendable, Equatable {
        /// Exactly one distinct number.
        case number(Token)
        /// Several different numbers; the texts of all of them.
        case ambiguous([String])
        /// No number at all.
        case none
    }

    /// Reads `answer` (already extracted from a completion).
    public static func read(_ answer: String) -> Reading {
        let found = tokens(in: answer)
        guard let first = found.first else { return .none }
        if found.allSatisfy({ $0.value == first.value && $0.isPercent == first.isPercent }) {
            return .number(first)
        }
        return .ambiguous(found.map(\.text))
    }

    /// Parses a gold answer that must be exactly one number (GSM8K's "#### 1,200").
    public static func goldValue(_ gold: String) -> ExactNumber? {
        guard case let .number(token) = read(gold), !token.isPercent else { return nil }
        return token.value
    }

    /// True when `answer` holds exactly one number and it equals `gold` under `percent`.
    public static func matches(_ answer: String, gold: ExactNumber, percent: PercentPolicy = .ignoreSign) -> Bool {
        guard case let .number(token) = read(answer) else { return false }
        return matches(token, gold: gold, percent: percent)
    }

    /// True when `token` equals `gold` under `percent`.
    public static func matches(_ token: Token, gold: ExactNumber, percent: PercentPolicy) -> Bool {
        let candidates = token.isPercent ? percent.candidates(for: token.value) : [token.value]
        return candidates.contains(gold)
    }

    /// The majority-vote key of a number read from an answer: its value (after `percent` for a
    /// number with a percent sign) in a canonical spelling, so equal values share a key.
    public static func voteKey(_ token: Token, percent: PercentPolicy) -> String {
        let value = token.isPercent ? (percent.candidates(for: token.value).first ?? token.value) : token.value
        return token.isPercent && percent == .reject ? "percent:" + voteKey(value: value) : voteKey(value: value)
    }

    /// The canonical key of an exact value: the decimal when the quotient is exact ("1234" for
    /// 1234.00, "0.5" for 1/2), else the quotient to 15 significant digits (1/3 and 2/6 agree).
    public static func voteKey(value: ExactNumber) -> String {
        if let quotient = value.exactQuotient { return "number:\(quotient)" }
        let approximate = NSDecimalNumber(decimal: value.numerator).doubleValue / NSDecimalNumber(decimal: value.denominator).doubleValue
        return "number:~" + String(format: "%.15g", approximate)
    }

    /// Every number in `text`, in order.
    public static func tokens(in text: String) -> [Token] {
        let scalars = Array(cleaned(text).unicodeScalars)
        var result: [Token] = []
        var index = 0
        while index < scalars.count {
            if let (token, end) = scanNumber(scalars, from: index) {
                if let token { result.append(token) }
                index = end
            } else {
                index += 1
            }
        }
        return result
    }

    // MARK: - Scanning

    static let currencySigns: Set<Unicode.Scalar> = ["$", "€", "£", "¥"]
    static let signs: Set<Unicode.Scalar> = ["-", "+"]

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || isDigit(scalar) || scalar == ")" || scalar == "]"
    }

    /// Scans one number starting exactly at `start`; returns it (nil for a zero denominator,
    /// which is skipped whole) and the index after it.
    static func scanNumber(_ s: [Unicode.Scalar], from start: Int) -> (Token?, Int)? {
        var i = start
        var negative = false
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        func startsBody(_ k: Int) -> Bool {
            guard let c = at(k) else { return false }
            return isDigit(c) || (c == "." && at(k + 1).map(isDigit) == true)
        }
        // A sign counts only at a word boundary ("x-5" and "3-5" are not negative numbers).
        if let c = at(i), signs.contains(c), start == 0 || !isWordCharacter(s[start - 1]) {
            var k = i + 1
            if let d = at(k), currencySigns.contains(d) { k += 1 }
            if startsBody(k) { negative = c == "-"; i = k }
        } else if let c = at(i), currencySigns.contains(c) {
            var k = i + 1
            if let d = at(k), d == "-" || d == "+" {
                negative = d == "-"
                k += 1
            }
            if startsBody(k) { i = k }
        }
        guard startsBody(i) else { return nil }
        // Continue no digit run ("1,2345" reads "1" then "2345", never "345"); a number glued
        // to a previous one by a dot ("1.2.3") is read as ".3" so the answer is ambiguous.
        if start > 0, i == start, isDigit(s[start - 1]) { return nil }
        guard let (numerator, afterBody) = scanUnsignedDecimal(s, from: i) else { return nil }
        var end = afterBody
        var denominator: Decimal = 1
        // Fraction: "1/2", "1 / 2".
        var k = end
        while at(k) == " " { k += 1 }
        if at(k) == "/" {
            k += 1
            while at(k) == " " { k += 1 }
            if startsBody(k), let (value, afterDenominator) = scanUnsignedDecimal(s, from: k) {
                denominator = value
                end = afterDenominator
            }
        }
        // Percent: "25%", "25 %".
        var isPercent = false
        k = end
        while at(k) == " " { k += 1 }
        if at(k) == "%" {
            isPercent = true
            end = k + 1
        }
        let text = String(String.UnicodeScalarView(s[start..<end]))
        guard let value = ExactNumber(numerator: negative ? -numerator : numerator, denominator: denominator) else {
            return (nil, end)
        }
        return (Token(value: value, isPercent: isPercent, text: text), end)
    }

    /// Digits with optional groups of three after commas, then an optional decimal part.
    static func scanUnsignedDecimal(_ s: [Unicode.Scalar], from start: Int) -> (Decimal, Int)? {
        var i = start
        var digits = ""
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        while let c = at(i), isDigit(c) { digits.unicodeScalars.append(c); i += 1 }
        if !digits.isEmpty, digits.count <= 3 {
            // Thousands groups: ",ddd" not followed by another digit.
            while at(i) == ",", let a = at(i + 1), let b = at(i + 2), let c = at(i + 3),
                  isDigit(a), isDigit(b), isDigit(c), !(at(i + 4).map(isDigit) ?? false) {
                digits.unicodeScalars.append(contentsOf: [a, b, c])
                i += 4
            }
        }
        if at(i) == ".", let next = at(i + 1), isDigit(next) {
            digits.append(".")
            i += 1
            while let c = at(i), isDigit(c) { digits.unicodeScalars.append(c); i += 1 }
        }
        guard !digits.isEmpty, digits != ".",
              let value = Decimal(string: digits.hasPrefix(".") ? "0" + digits : digits, locale: posix)
        else { return nil }
        return (value, i)
    }

    // MARK: - Cleaning

    static let cleaningTriggers: Set<UInt8> = Set("\\{}~*_`^".utf8)
    static let posix = Locale(identifier: "en_US_POSIX")

    /// Rewrites LaTeX and typographic variants into the plain forms the scanner reads.
    static func cleaned(_ text: String) -> String {
        // Fast path: nothing to rewrite in plain ASCII without LaTeX or Markdown characters.
        if text.utf8.allSatisfy({ $0 < 0x80 && !cleaningTriggers.contains($0) }) { return text }
        var s = text
        for (from, to) in [
            ("\\!", ""), ("\\,", ""), ("{,}", ","), ("\\;", " "), ("\\:", " "), ("\\ ", " "), ("~", " "),
            ("\\%", "%"), ("\\$", "$"), ("**", " "), ("__", " "), ("`", " "),
            ("^{\\circ}", ""), ("^\\circ", ""), ("°", ""),
            ("\u{2212}", "-"), ("\u{2010}", "-"), ("\u{2011}", "-"), ("\u{2012}", "-"), ("\u{2013}", "-"), ("\u{FE63}", "-"), ("\u{FF0D}", "-"),
            ("\u{00A0}", " "), ("\u{2009}", " "), ("\u{202F}", " "), ("\u{2007}", " "),
        ] where s.containsSubstring(from) {
            s = s.replacingOccurrences(of: from, with: to)
        }
        if s.containsSubstring("frac") { s = rewriteFractions(s) }
        if s.containsSubstring("{") || s.containsSubstring("}") {
            s = s.replacingOccurrences(of: "{", with: " ").replacingOccurrences(of: "}", with: " ")
        }
        return s
    }

    /// `\frac{a}{b}`, `\dfrac{a}{b}`, `\tfrac{a}{b}` with plain operands become `a/b`;
    /// a leading minus inside the numerator is kept (`\frac{-3}{4}` is `-3/4`).
    static func rewriteFractions(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.firstRangeOfSubstring("frac{") {
            var prefixEnd = range.lowerBound
            let commandStart = rest[..<prefixEnd].lastIndex(of: "\\")
            if let commandStart, rest.distance(from: commandStart, to: prefixEnd) <= 2 { prefixEnd = commandStart }
            guard let (numerator, afterNumerator) = BoxedExpression.braced(rest, openingAt: rest.index(before: range.upperBound)),
                  afterNumerator < rest.endIndex, rest[afterNumerator] == "{",
                  let (denominator, afterDenominator) = BoxedExpression.braced(rest, openingAt: afterNumerator)
            else {
                result += rest[..<range.upperBound]
                rest = rest[range.upperBound...]
                continue
            }
            result += rest[..<prefixEnd]
            result += " \(numerator.trimmingCharacters(in: .whitespaces))/\(denominator.trimmingCharacters(in: .whitespaces)) "
            rest = rest[afterDenominator...]
        }
        result += rest
        return result
    }
}
