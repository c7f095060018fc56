/// A segment of the text being encoded: text still to tokenize, or an added token already found.
enum TextSegment {
    case text([UInt8], startsAtOrigin: Bool)
    case token(Int)
}

/// Finds added tokens in text with HF's rules: leftmost-longest matches, `single_word`, `lstrip`, `rstrip`;
/// non-normalized tokens are found in the raw text, normalized ones in each normalized piece.
struct AddedVocabulary: Sendable {
    private struct Pattern: Sendable {
        let bytes: [UInt8]
        let token: AddedToken
    }
    /// Patterns by first byte, longest first.
    private let raw: [[Pattern]]
    private let normalized: [[Pattern]]
    private let hasRaw: Bool
    private let hasNormalized: Bool

    init(tokens: [AddedToken], normalizer: Normalizer?) {
        var raw = [[Pattern]](repeating: [], count: 256)
        var normalized = [[Pattern]](repeating: [], count: 256)
        for token in tokens where !token.content.isEmpty {
            if token.normalized {
                let bytes = normalizer?.normalize(Array(token.content.utf8)) ?? Array(token.content.utf8)
                if let first = bytes.first { normalized[Int(first)].append(Pattern(bytes: bytes, token: token)) }
            } else {
                let bytes = Array(token.content.utf8)
                raw[Int(bytes[0])].append(Pattern(bytes: bytes, token: token))
            }
        }
        self.raw = raw.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
        self.normalized = normalized.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
        hasRaw = raw.contains { !$0.isEmpty }
        hasNormalized = normalized.contains { !$0.isEmpty }
    }

    /// Splits raw text on the non-normalized added tokens.
    func splitRaw(_ text: [UInt8]) -> [TextSegment] {
        guard hasRaw else { return [.text(text, startsAtOrigin: true)] }
        return split(text, patterns: raw, startsAtOrigin: true)
    }

    /// Splits a normalized piece on the normalized added tokens.
    func splitNormalized(_ text: [UInt8], startsAtOrigin: Bool) -> [TextSegment] {
        guard hasNormalized else { return [.text(text, startsAtOrigin: startsAtOrigin)] }
        return split(text, patterns: normalized, startsAtOrigin: startsAtOrigin)
    }

    private func split(_ text: [UInt8], patterns: [[Pattern]], startsAtOrigin: Bool) -> [TextSegment] {
        var segments: [TextSegment] = []
        var emitted = 0  // end of the last emitted segment
        var position = 0
        while position < text.count {
            guard let pattern = longestMatch(in: text, at: position, patterns: patterns[Int(text[position])]) else {
                position += 1
                continue
            }
            var start = position
            var stop = position + pattern.bytes.count
            let token = pattern.token
            // The next search starts after the match whether or not it is kept (non-overlapping matches).
            position = stop
            if token.singleWord {
                let before = lastScalar(text, before: start)
                let after = firstScalar(text, from: stop)
                if let before, isWordCharacter(before) { continue }
                if let after, isWordCharacter(after) { continue }
            }
            if token.leftStrip {
                var newStart = start
                while let scalar = lastScalar(text, before: newStart), scalar.properties.isWhitespace {
                    newStart -= scalar.utf8.count
                }
                start = max(newStart, emitted)
            }
            if token.rightStrip {
                while let scalar = firstScalar(text, from: stop), scalar.properties.isWhitespace {
                    stop += scalar.utf8.count
                }
                position = max(position, stop)
            }
            if emitted < start {
                segments.append(.text(Array(text[emitted..<start]), startsAtOrigin: startsAtOrigin && emitted == 0))
            }
            segments.append(.token(token.id))
            emitted = stop
        }
        if emitted < text.count || segments.isEmpty {
            segments.append(.text(Array(text[emitted...]), startsAtOrigin: startsAtOrigin && emitted == 0))
        }
        return segments
    }

    private func longestMatch(in text: [UInt8], at position: Int, patterns: [Pattern]) -> Pattern? {
        for pattern in patterns where position + pattern.bytes.count <= text.count {
            var equal = true
            for k in 1..<pattern.bytes.count where text[position + k] != pattern.bytes[k] {
                equal = false
                break
            }
            if equal { return pattern }
        }
        return nil
    }

    private func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "_" { return true }
        let properties = scalar.properties
        if properties.isAlphabetic { return true }
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    private func lastScalar(_ text: [UInt8], before end: Int) -> Unicode.Scalar? {
        guard end > 0 else { return nil }
        var start = end - 1
        while start > 0, text[start] & 0xC0 == 0x80 { start -= 1 }
        return String(decoding: text[start..<end], as: UTF8.self).unicodeScalars.first
    }

    private func firstScalar(_ text: [UInt8], from start: Int) -> Unicode.Scalar? {
        guard start < text.count else { return nil }
        let lead = text[start]
        let length = min(lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4, text.count - start)
        return String(decoding: text[start..<(start + length)], as: UTF8.self).unicodeScalars.first
    }
}
