/// Matches a multiple-choice answer ("(B)", "B)", "b.", "Option B", "2", the option text) to one
/// of an item's choices.
///
/// Rules, applied to the extracted answer text:
/// 1. Clean-up: `\boxed{}`/`\text{}` wrappers, `$`, Markdown and trailing punctuation are
///    removed, and leading phrases ("The correct answer is", "Option", "Choice", "Answer:") are
///    dropped.
/// 2. If the answer is exactly one option's text (case, spacing and final punctuation ignored),
///    that option matches.
/// 3. Otherwise a leading label is read: "(B)", "[B]", "B)", "B.", "B:", "B -", "B" (a
///    lowercase letter only when bracketed, followed by ")" "." ":" or alone, so the article
///    "a" is not a label). It resolves to the option with that label; for items whose labels
///    are numbers ("1"-"5") a letter resolves by position (A is the first option). A bare digit
///    is never read as a position on a letter-labelled item (it may be option *text*, rule 2).
///    Text after the label may repeat that option's text or explain; if it names a different
///    option (its text, "(C)", "or C", ", C") the answer is ambiguous.
/// 4. Otherwise, exactly one distinct bracketed label anywhere ("I choose (C) because ...")
///    matches; two or more are ambiguous.
public enum ChoiceMatcher {
    /// The outcome of matching.
    public enum Match: Sendable, Equatable {
        /// The answer designates the option at this index of `choices`.
        case choice(Int)
        /// The answer designates several different options.
        case ambiguous
        /// The answer designates no option.
        case none
    }

    /// Matches `answer` against `choices`.
    public static func match(_ answer: String, choices: [TaskItem.Choice]) -> Match {
        guard !choices.isEmpty else { return .none }
        let text = cleaned(answer)
        guard !text.isEmpty else { return .none }
        let normalizedTexts = choices.map { normalized($0.text) }
        let whole = normalized(text)
        let textMatches = normalizedTexts.indices.filter { normalizedTexts[$0] == whole && !whole.isEmpty }
        if textMatches.count == 1 { return .choice(textMatches[0]) }
        if textMatches.count > 1 { return .ambiguous }

        if let (index, rest) = leadingLabel(text, choices: choices) {
            return checkRest(rest, chosen: index, choices: choices, normalizedTexts: normalizedTexts)
        }
        let bracketed = Set(bracketedLabels(in: text, choices: choices))
        if bracketed.count == 1, let only = bracketed.first { return .choice(only) }
        if bracketed.count > 1 { return .ambiguous }
        return .none
    }

    // MARK: - Steps

    static let leadingPhrases = [
        "the correct answer is", "the correct option is", "the correct choice is", "the best answer is",
        "the answer is", "correct answer:", "answer is", "answer:", "option", "choice", "answer", "letter",
    ]

    static func cleaned(_ answer: String) -> String {
        var s = BoxedExpression.unwrapped(answer)
        s = LatexAnswer.unwrappingTextCommands(s)
        for junk in ["$", "**", "__", "`", "\""] { s = s.replacingOccurrences(of: junk, with: "") }
        s = s.trimmingCharacters(in: .whitespacesAndNewlines)
        var changed = true
        while changed {
            changed = false
            let lowered = s.lowercased()
            for phrase in leadingPhrases where lowered.hasPrefix(phrase) {
                let after = s.dropFirst(phrase.count)
                if let next = after.first, next.isLetter { continue }
                s = after.trimmingCharacters(in: .whitespaces)
                if s.hasPrefix(":") { s = s.dropFirst().trimmingCharacters(in: .whitespaces) }
                changed = true
                break
            }
        }
        while let last = s.last, ".,;!".contains(last) || last.isWhitespace { s.removeLast() }
        return s
    }

    /// Lowercased, whitespace collapsed, trailing punctuation removed.
    static func normalized(_ text: String) -> String {
        var s = text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        while let last = s.last, ".,;!".contains(last) { s.removeLast() }
        return s
    }

    /// Resolves a label token to an option index.
    static func resolve(_ token: Substring, choices: [TaskItem.Choice]) -> Int? {
        let upper = token.uppercased()
        if let index = choices.firstIndex(where: { $0.label.uppercased() == upper }) { return index }
        let labelsAreNumbers = choices.allSatisfy { Int($0.label) != nil }
        if labelsAreNumbers, upper.count == 1, let scalar = upper.unicodeScalars.first, ("A"..."Z").contains(scalar) {
            let position = Int(scalar.value) - 65
            return position < choices.count ? position : nil
        }
        return nil
    }

    /// A label at the start of `text` and the text after it.
    static func leadingLabel(_ text: String, choices: [TaskItem.Choice]) -> (Int, Substring)? {
        let s = Substring(text)
        if let open = s.first, open == "(" || open == "[" {
            let close: Character = open == "(" ? ")" : "]"
            guard let end = s.firstIndex(of: close) else { return nil }
            let token = s[s.index(after: s.startIndex)..<end].trimmingCharacters(in: .whitespaces)
            guard token.count <= 2, let index = resolve(Substring(token), choices: choices) else { return nil }
            return (index, s[s.index(after: end)...])
        }
        let tokenEnd = s.firstIndex(where: { !($0.isLetter || $0.isNumber) }) ?? s.endIndex
        let token = s[..<tokenEnd]
        guard !token.isEmpty, token.count <= 2 else { return nil }
        let delimiter = tokenEnd < s.endIndex ? s[tokenEnd] : nil
        if let delimiter, !")].:-,/&".contains(delimiter), !delimiter.isWhitespace { return nil }
        // A lowercase letter followed by a space is a word ("a rock"), not a label.
        if token.first?.isLowercase == true, delimiter?.isWhitespace == true { return nil }
        guard let index = resolve(token, choices: choices) else { return nil }
        return (index, s[tokenEnd...])
    }

    /// Decides whether the text after a label confirms, explains or contradicts it.
    static func checkRest(_ rest: Substring, chosen: Int, choices: [TaskItem.Choice], normalizedTexts: [String]) -> Match {
        let afterSpaces = rest.drop(while: { $0.isWhitespace })
        let startsWithSeparator = afterSpaces.first.map { ",/&".contains($0) } ?? false
        let tail = rest.drop(while: { ")].:-,/&".contains($0) || $0.isWhitespace })
        if tail.isEmpty { return .choice(chosen) }
        // "B or C", "B and C", "B, C", "B/C".
        var second = tail
        var hasConnective = startsWithSeparator
        let lowered = tail.lowercased()
        for connective in ["or ", "and ", "& "] where lowered.hasPrefix(connective) {
            second = tail.dropFirst(connective.count).drop(while: { $0.isWhitespace })
            hasConnective = true
        }
        if hasConnective, let (other, _) = leadingLabel(String(second), choices: choices), other != chosen {
            return .ambiguous
        }
        // "B) C": the whole rest is another label.
        if tail.count <= 3, let (other, remainder) = leadingLabel(String(tail), choices: choices), other != chosen,
           remainder.allSatisfy({ ")].".contains($0) }) {
            return .ambiguous
        }
        // "B) <text of another option>".
        let restText = normalized(String(tail))
        let chosenText = normalizedTexts[chosen]
        for (index, optionText) in normalizedTexts.enumerated() where index != chosen && !optionText.isEmpty {
            let namesOther = restText == optionText || (restText.hasPrefix(optionText + " ") && !restText.hasPrefix(chosenText))
            if namesOther && restText != chosenText { return .ambiguous }
        }
        if bracketedLabels(in: String(rest), choices: choices).contains(where: { $0 != chosen }) { return .ambiguous }
        return .choice(chosen)
    }

    /// Indices of options named as "(X)" anywhere in `text`.
    static func bracketedLabels(in text: String, choices: [TaskItem.Choice]) -> [Int] {
        var result: [Int] = []
        var index = text.startIndex
        while let open = text[index...].firstIndex(of: "(") {
            let afterOpen = text.index(after: open)
            guard let close = text[afterOpen...].firstIndex(of: ")") else { break }
            let token = text[afterOpen..<close]
            if token.count <= 2, let resolved = resolve(token, choices: choices) { result.append(resolved) }
            index = afterOpen
        }
        return result
    }
}
