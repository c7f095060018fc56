/// A piece of text between added tokens as it flows through pre-tokenization (UTF-8 bytes).
struct PreToken: Sendable {
    var bytes: [UInt8]
    /// Whether the piece starts at the first byte of the encoded text (Metaspace `prepend_scheme: first`).
    var startsAtOrigin: Bool
}

/// A pre-tokenizer stage of tokenizer.json: splits normalized text into the words the model sees.
protocol PreTokenizer: Sendable {
    /// Splits (or rewrites) each piece.
    func preTokenize(_ pieces: [PreToken]) -> [PreToken]
    /// Whether the words leave this stage in GPT-2's byte-level alphabet (the model then maps bytes).
    var isByteLevel: Bool { get }
}

/// Builds the pre-tokenizer named by the JSON `"type"`, as HF `tokenizers` names them.
func makePreTokenizer(_ json: JSONReader) throws -> PreTokenizer {
    let type = try json.componentType()
    switch type {
    case "ByteLevel":
        return ByteLevelPreTokenizer(addPrefixSpace: try json.bool("add_prefix_space", default: true),
                                     useRegex: try json.bool("use_regex", default: true))
    case "Split":
        return try SplitPreTokenizer(json)
    case "Metaspace":
        return try MetaspacePreTokenizer(json)
    case "Digits":
        return DigitsPreTokenizer(individualDigits: try json.bool("individual_digits", default: false))
    case "Sequence":
        let stages = try json.required("pretokenizers").array().map(makePreTokenizer)
        for (index, stage) in stages.enumerated() where stage.isByteLevel && index != stages.count - 1 {
            throw json.error("a ByteLevel pre-tokenizer must be the last of a Sequence; "
                + "this tokenizer layout is not supported (use a layout like Llama 3's Split + ByteLevel)")
        }
        return SequencePreTokenizer(stages: stages)
    default:
        throw json.error("unsupported pre-tokenizer type \"\(type)\"; supported: ByteLevel, Split (with the GPT-2, "
            + "Llama 3 or Qwen2 regex, or a string), Metaspace, Digits, Sequence")
    }
}

/// `Digits`: isolates the numeric characters (Unicode categories Nd, Nl and No, Rust's
/// `char::is_numeric`, as HF `tokenizers` tests them): each one on its own with
/// `individual_digits`, else each run of them (SmolLM2 and StarCoder put it before `ByteLevel`).
struct DigitsPreTokenizer: PreTokenizer {
    let individualDigits: Bool
    var isByteLevel: Bool { false }

    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        var result: [PreToken] = []
        result.reserveCapacity(pieces.count * 2)
        for piece in pieces {
            let scalars = ClassifiedScalars(piece.bytes[...])
            var spans: [Range<Int>] = []
            var start = 0
            while start < scalars.count {
                let numeric = scalars.classes[start] & ClassifiedScalars.number != 0
                var end = start + 1
                if !numeric || !individualDigits {
                    while end < scalars.count, (scalars.classes[end] & ClassifiedScalars.number != 0) == numeric { end += 1 }
                }
                spans.append(scalars.offsets[start]..<scalars.offsets[end])
                start = end
            }
            for (index, range) in spans.enumerated() {
                result.append(PreToken(bytes: Array(piece.bytes[range]), startsAtOrigin: piece.startsAtOrigin && index == 0))
            }
        }
        return result
    }
}

/// `ByteLevel`: optional prefix space, GPT-2 regex split, then the byte-level alphabet (applied by the model).
struct ByteLevelPreTokenizer: PreTokenizer {
    let addPrefixSpace: Bool
    let useRegex: Bool
    var isByteLevel: Bool { true }

    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        var result: [PreToken] = []
        result.reserveCapacity(pieces.count * 4)
        for var piece in pieces {
            if addPrefixSpace && piece.bytes.first != 0x20 { piece.bytes.insert(0x20, at: 0) }
            guard useRegex else { result.append(piece); continue }
            let matches = SplitPattern.gpt2.matches(in: piece.bytes[...])
            for (index, range) in matches.enumerated() {
                result.append(PreToken(bytes: Array(piece.bytes[range]), startsAtOrigin: piece.startsAtOrigin && index == 0))
            }
        }
        return result
    }
}

/// How a `Split` pre-tokenizer treats the matched delimiters (HF `SplitDelimiterBehavior`).
enum SplitDelimiterBehavior: String, Sendable {
    case removed = "Removed", isolated = "Isolated", mergedWithPrevious = "MergedWithPrevious",
         mergedWithNext = "MergedWithNext", contiguous = "Contiguous"

    /// Turns the spans of a piece (each flagged whether it is a match) into the pieces to keep.
    func apply(_ spans: [(range: Range<Int>, isMatch: Bool)]) -> [Range<Int>] {
        switch self {
        case .isolated:
            return spans.map(\.range)
        case .removed:
            return spans.filter { !$0.isMatch }.map(\.range)
        case .mergedWithPrevious:
            var result: [Range<Int>] = []
            var previousMatch = false
            for span in spans {
                if span.isMatch && !previousMatch, let last = result.last {
                    result[result.count - 1] = last.lowerBound..<span.range.upperBound
                } else {
                    result.append(span.range)
                }
                previousMatch = span.isMatch
            }
            return result
        case .mergedWithNext:
            var result: [Range<Int>] = []
            var previousMatch = false
            for span in spans.reversed() {
                if span.isMatch && !previousMatch, let last = result.last {
                    result[result.count - 1] = span.range.lowerBound..<last.upperBound
                } else {
                    result.append(span.range)
                }
                previousMatch = span.isMatch
            }
            return result.reversed()
        case .contiguous:
            var result: [Range<Int>] = []
            var previousMatch = false
            for span in spans {
                if span.isMatch && previousMatch, let last = result.last {
                    result[result.count - 1] = last.lowerBound..<span.range.upperBound
                } else {
                    result.append(span.range)
                }
                previousMatch = span.isMatch
            }
            return result
        }
    }
}

/// Splits `bytes` at every occurrence of `literal`, as spans flagged match / not match (empty gaps omitted).
func literalSpans(of literal: [UInt8], in bytes: [UInt8]) -> [(range: Range<Int>, isMatch: Bool)] {
    var spans: [(range: Range<Int>, isMatch: Bool)] = []
    guard !literal.isEmpty, bytes.count >= literal.count else {
        return bytes.isEmpty ? [] : [(0..<bytes.count, false)]
    }
    var start = 0
    var i = 0
    while i + literal.count <= bytes.count {
        if bytes[i] == literal[0] && bytes[i..<(i + literal.count)].elementsEqual(literal) {
            if start < i { spans.append((start..<i, false)) }
            spans.append((i..<(i + literal.count), true))
            i += literal.count
            start = i
        } else {
            i += 1
        }
    }
    if start < bytes.count { spans.append((start..<bytes.count, false)) }
    return spans
}

/// `Split`: splits on a regex (one of the known families' patterns) or a literal string.
struct SplitPreTokenizer: PreTokenizer {
    enum Pattern: Sendable { case regex(SplitPattern), literal([UInt8]) }
    let pattern: Pattern
    let behavior: SplitDelimiterBehavior
    var isByteLevel: Bool { false }

    init(_ json: JSONReader) throws {
        let patternJSON = try json.required("pattern")
        if let regex = try patternJSON.optionalString("Regex") {
            guard let known = SplitPattern(regex: regex) else {
                throw patternJSON.error("unsupported Split regex \(regex.debugDescription): only the GPT-2, Llama 3 and "
                    + "Qwen2 patterns are implemented (matched by hand, exactly); add a matcher to SplitPattern.swift")
            }
            pattern = .regex(known)
        } else if let literal = try patternJSON.optionalString("String") {
            pattern = .literal(Array(literal.utf8))
        } else {
            throw patternJSON.error("expected {\"Regex\": ...} or {\"String\": ...}")
        }
        let behaviorName = try json.string("behavior")
        guard let behavior = SplitDelimiterBehavior(rawValue: behaviorName) else {
            throw json.error("unknown Split behavior \"\(behaviorName)\"")
        }
        self.behavior = behavior
        if try json.bool("invert", default: false) {
            throw json.error("Split with \"invert\": true is not supported")
        }
    }

    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        var result: [PreToken] = []
        result.reserveCapacity(pieces.count * 4)
        for piece in pieces {
            let spans: [(range: Range<Int>, isMatch: Bool)]
            switch pattern {
            case .regex(let regex): spans = regex.matches(in: piece.bytes[...]).map { ($0, true) }
            case .literal(let literal): spans = literalSpans(of: literal, in: piece.bytes)
            }
            for (index, range) in behavior.apply(spans).enumerated() where !range.isEmpty {
                result.append(PreToken(bytes: Array(piece.bytes[range]), startsAtOrigin: piece.startsAtOrigin && index == 0))
            }
        }
        return result
    }
}

/// `Metaspace`: spaces become the replacement character (`▁`), optionally prepended, optionally split on it.
struct MetaspacePreTokenizer: PreTokenizer {
    enum PrependScheme: String, Sendable { case always, first, never }
    let replacement: [UInt8]
    let prependScheme: PrependScheme
    let split: Bool
    var isByteLevel: Bool { false }

    init(_ json: JSONReader) throws {
        let replacement = try json.string("replacement")
        guard replacement.unicodeScalars.count == 1 else { throw json.error("replacement must be one character") }
        self.replacement = Array(replacement.utf8)
        if let scheme = try json.optionalString("prepend_scheme") {
            guard let parsed = PrependScheme(rawValue: scheme) else {
                throw json.error("unknown prepend_scheme \"\(scheme)\" (expected always, first or never)")
            }
            prependScheme = parsed
        } else {
            prependScheme = try json.bool("add_prefix_space", default: true) ? .always : .never
        }
        split = try json.bool("split", default: true)
    }

    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        var result: [PreToken] = []
        for piece in pieces {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(piece.bytes.count + 8)
            for byte in piece.bytes {
                if byte == 0x20 { bytes.append(contentsOf: replacement) } else { bytes.append(byte) }
            }
            let startsWithReplacement = bytes.starts(with: replacement)
            switch prependScheme {
            case .always where !startsWithReplacement,
                 .first where !startsWithReplacement && piece.startsAtOrigin:
                bytes.insert(contentsOf: replacement, at: 0)
            default: break
            }
            guard split else { result.append(PreToken(bytes: bytes, startsAtOrigin: piece.startsAtOrigin)); continue }
            let ranges = SplitDelimiterBehavior.mergedWithNext.apply(literalSpans(of: replacement, in: bytes))
            for (index, range) in ranges.enumerated() where !range.isEmpty {
                result.append(PreToken(bytes: Array(bytes[range]), startsAtOrigin: piece.startsAtOrigin && index == 0))
            }
        }
        return result
    }
}

/// `Sequence`: the stages in order.
struct SequencePreTokenizer: PreTokenizer {
    let stages: [PreTokenizer]
    var isByteLevel: Bool { stages.last?.isByteLevel ?? false }

    func preTokenize(_ pieces: [PreToken]) -> [PreToken] {
        stages.reduce(pieces) { $1.preTokenize($0) }
    }
}
