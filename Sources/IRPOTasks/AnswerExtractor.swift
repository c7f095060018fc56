/// Which rule found the answer in a completion.
public enum ExtractionMethod: String, Sendable, Hashable, Codable, CaseIterable {
    /// The text after the last "Final answer:" marker (the paper's format).
    case finalAnswer
    /// Fallback: the content of the last `\boxed{}`.
    case boxed
    /// Fallback: the text after the last "####" (GSM8K's gold format).
    case hashes
    /// Fallback: the last number anywhere in the completion.
    case lastNumber

    /// True for every method except the paper's "Final answer:" format.
    public var isFallback: Bool { self != .finalAnswer }
}

/// An answer found in a completion, and how it was found.
public struct ExtractedAnswer: Sendable, Hashable, Codable {
    /// The answer text (may be empty when a marker is followed by nothing).
    public var text: String
    /// The rule that found it.
    public var method: ExtractionMethod

    /// Creates an extracted answer.
    public init(text: String, method: ExtractionMethod) {
        self.text = text
        self.method = method
    }
}

/// Finds the final answer in a model completion.
///
/// 1. The **last** occurrence of a marker (default "Final answer:"), matched case-insensitively,
///    with any whitespace or Markdown `*`/`_` between its words and before the colon
///    ("FINAL  ANSWER :", "**Final answer:**"). The answer is the rest of that line (or the next
///    non-blank line when the marker ends its line, unless that line starts a new section such
///    as "Question: ..."), cut at the first sentence end (". " etc.,
///    never inside "3.5"), with surrounding whitespace, Markdown and trailing punctuation removed.
///    When a marker is present its answer is final, even if it cannot be parsed: fallbacks are
///    not consulted (the model committed to an answer).
/// 2. Otherwise each fallback in `fallbacks`, in order; the result says which one matched, so
///    callers can report format failures and fallback hits separately.
public struct AnswerExtractor: Sendable, Hashable, Codable {
    /// Markers that introduce the final answer; the last occurrence of any of them wins.
    public var markers: [String]
    /// Fallback rules tried in order when no marker is found. Must not contain `.finalAnswer`.
    public var fallbacks: [ExtractionMethod]
    /// Cut the answer at the first sentence end ("18. I hope it is correct." gives "18").
    public var cutAtSentenceEnd: Bool

    /// Creates an extractor.
    public init(markers: [String] = ["Final answer:"], fallbacks: [ExtractionMethod] = [], cutAtSentenceEnd: Bool = true) {
        self.markers = markers
        self.fallbacks = fallbacks
        self.cutAtSentenceEnd = cutAtSentenceEnd
    }

    /// The paper's format only: "Final answer:", no fallbacks.
    public static let strict = AnswerExtractor()

    /// Checks the configuration.
    /// - Throws: `TaskError.invalidConfiguration` naming the bad key.
    public func validate() throws {
        if markers.isEmpty || markers.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw TaskError.invalidConfiguration(key: "markers", value: "\(markers)", reason: "needs at least one non-blank marker such as \"Final answer:\"")
        }
        if fallbacks.contains(.finalAnswer) {
            throw TaskError.invalidConfiguration(key: "fallbacks", value: "\(fallbacks.map(\.rawValue))", reason: "'finalAnswer' is the primary rule, not a fallback; use boxed, hashes or lastNumber")
        }
    }

    /// The final answer of `completion`, or nil when neither a marker nor a fallback matches.
    public func extract(from completion: String) -> ExtractedAnswer? {
        let scalars = Array(completion.unicodeScalars)
        var bestEnd: Int?
        var bestStart = -1
        for marker in markers {
            if let match = Self.lastMatch(of: marker, in: scalars), match.start > bestStart {
                bestStart = match.start
                bestEnd = match.end
            }
        }
        if let end = bestEnd {
            return ExtractedAnswer(text: answerSpan(scalars, from: end), method: .finalAnswer)
        }
        for fallback in fallbacks {
            switch fallback {
            case .finalAnswer:
                continue
            case .boxed:
                if let content = BoxedExpression.lastContent(in: completion) {
                    return ExtractedAnswer(text: content.trimmingCharacters(in: .whitespacesAndNewlines), method: .boxed)
                }
            case .hashes:
                if let range = completion.lastRangeOfSubstring("####") {
                    let rest = Array(completion[range.upperBound...].unicodeScalars)
                    let text = answerSpan(rest, from: 0)
                    if !text.isEmpty { return ExtractedAnswer(text: text, method: .hashes) }
                }
            case .lastNumber:
                if let token = NumericAnswer.tokens(in: completion).last {
                    return ExtractedAnswer(text: token.text.trimmingCharacters(in: .whitespaces), method: .lastNumber)
                }
            }
        }
        return nil
    }

    // MARK: - Marker matching

    static func isIgnorable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar == "*" || scalar == "_"
    }

    static func lowered(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        ("A"..."Z").contains(scalar) ? (Unicode.Scalar(scalar.value + 32) ?? scalar) : scalar
    }

    /// The start and end (exclusive) of the last tolerant match of `marker` in `text`.
    static func lastMatch(of marker: String, in text: [Unicode.Scalar]) -> (start: Int, end: Int)? {
        let pattern = marker.unicodeScalars.filter { !isIgnorable($0) }.map(lowered)
        guard let first = pattern.first else { return nil }
        var start = text.count - 1
        while start >= 0 {
            if lowered(text[start]) == first, start == 0 || !text[start - 1].properties.isAlphabetic {
                var i = start + 1
                var p = 1
                while p < pattern.count {
                    while i < text.count, isIgnorable(text[i]) { i += 1 }
                    guard i < text.count, lowered(text[i]) == pattern[p] else { break }
                    i += 1
                    p += 1
                }
                if p == pattern.count { return (start, i) }
            }
            start -= 1
        }
        return nil
    }

    // MARK: - Answer span

    /// True for a line such as "Question: ..." or "Q2:": up to three words and a colon.
    static func startsWithLabel(_ line: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let colon = line.firstIndex(of: ":"), colon > line.startIndex else { return false }
        let head = line[line.startIndex..<colon]
        guard head.count <= 20, head.first?.properties.isAlphabetic == true else { return false }
        return head.allSatisfy { $0.properties.isAlphabetic || $0 == " " || ("0"..."9").contains($0) }
            && head.split(separator: " ").count <= 3
    }

    func answerSpan(_ s: [Unicode.Scalar], from start: Int) -> String {
        var i = start
        // Skip spaces and markup; a marker that ends its line takes the next non-blank line,
        // unless that line opens a new section ("Question: ...").
        var crossedLine = false
        while i < s.count, Self.isIgnorable(s[i]) {
            if s[i] == "\n" || s[i] == "\r" { crossedLine = true }
            i += 1
        }
        var end = i
        while end < s.count, s[end] != "\n", s[end] != "\r" { end += 1 }
        if crossedLine, Self.startsWithLabel(s[i..<end]) { return "" }
        if cutAtSentenceEnd {
            var k = i
            while k + 1 < end {
                if s[k] == "." || s[k] == "!" || s[k] == "?", s[k + 1] == " " || s[k + 1] == "\t" {
                    end = k
                    break
                }
                k += 1
            }
        }
        var text = String(String.UnicodeScalarView(s[i..<end]))
        let trailing: Set<Character> = [".", ",", ";", "!", "?", "*", "_", " ", "\t"]
        while let last = text.last, trailing.contains(last) { text.removeLast() }
        while let first = text.first, first == "*" || first == " " { text.removeFirst() }
        return text
    }
}
