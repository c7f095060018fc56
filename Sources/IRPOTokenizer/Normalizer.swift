import Foundation

/// A normalizer stage of tokenizer.json: rewrites the UTF-8 text of a piece before pre-tokenization.
protocol Normalizer: Sendable {
    func normalize(_ bytes: [UInt8]) -> [UInt8]
    /// An upper bound on output bytes per input byte (`TokenizerLimits.maxTextGrowth` bounds it).
    var growthBound: Int { get }
}

extension Normalizer {
    var growthBound: Int { 1 }
}

/// `a * b`, or `Int.max` when the product overflows (for growth bounds).
func saturatingProduct(_ a: Int, _ b: Int) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? Int.max : product
}

/// Builds the normalizer named by the JSON `"type"`, as HF `tokenizers` names them.
func makeNormalizer(_ json: JSONReader) throws -> Normalizer {
    let type = try json.componentType()
    switch type {
    case "Sequence":
        return SequenceNormalizer(stages: try json.required("normalizers").array().map(makeNormalizer))
    case "Prepend":
        return PrependNormalizer(prefix: Array(try json.string("prepend").utf8))
    case "Replace":
        let pattern = try json.required("pattern")
        guard let literal = try pattern.optionalString("String") else {
            throw pattern.error("Replace normalizer with a Regex pattern is not supported (only {\"String\": ...})")
        }
        guard !literal.isEmpty else { throw pattern.error("Replace pattern must not be empty") }
        return ReplaceNormalizer(pattern: Array(literal.utf8), content: Array(try json.string("content").utf8))
    case "NFC", "NFD", "NFKC", "NFKD":
        return UnicodeNormalizer(form: type)
    case "Lowercase":
        return LowercaseNormalizer()
    case "Strip":
        return StripNormalizer(left: try json.bool("strip_left", default: true),
                               right: try json.bool("strip_right", default: true))
    default:
        throw json.error("unsupported normalizer type \"\(type)\"; supported: Sequence, Prepend, Replace, "
            + "NFC, NFD, NFKC, NFKD, Lowercase, Strip")
    }
}

/// `Sequence`: the stages in order.
struct SequenceNormalizer: Normalizer {
    let stages: [Normalizer]
    func normalize(_ bytes: [UInt8]) -> [UInt8] { stages.reduce(bytes) { $1.normalize($0) } }
    var growthBound: Int { stages.reduce(1) { saturatingProduct($0, $1.growthBound) } }
}

/// `Prepend`: puts `prefix` in front of non-empty text.
struct PrependNormalizer: Normalizer {
    let prefix: [UInt8]
    func normalize(_ bytes: [UInt8]) -> [UInt8] { bytes.isEmpty ? bytes : prefix + bytes }
}

/// `Replace` with a literal pattern: every non-overlapping occurrence, left to right.
struct ReplaceNormalizer: Normalizer {
    let pattern: [UInt8]
    let content: [UInt8]
    /// Every byte could belong to a match, each `pattern.count` bytes becoming `content.count`.
    var growthBound: Int { max(1, (content.count + pattern.count - 1) / max(1, pattern.count)) }

    func normalize(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + bytes.count / 4)
        for span in literalSpans(of: pattern, in: bytes) {
            if span.isMatch { result.append(contentsOf: content) } else { result.append(contentsOf: bytes[span.range]) }
        }
        return result
    }
}

/// `NFC`, `NFD`, `NFKC`, `NFKD` Unicode normalization forms.
struct UnicodeNormalizer: Normalizer {
    let form: String
    /// The longest decompositions (e.g. U+FDFA, 3 UTF-8 bytes, to 18 scalars) grow text about elevenfold.
    var growthBound: Int { 12 }
    func normalize(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        let normalized: String
        switch form {
        case "NFC": normalized = text.precomposedStringWithCanonicalMapping
        case "NFD": normalized = text.decomposedStringWithCanonicalMapping
        case "NFKC": normalized = text.precomposedStringWithCompatibilityMapping
        default: normalized = text.decomposedStringWithCompatibilityMapping
        }
        return Array(normalized.utf8)
    }
}

/// `Lowercase`: Unicode lowercase mapping.
struct LowercaseNormalizer: Normalizer {
    /// A lowercase mapping can take 2 UTF-8 bytes to 3 (U+0130).
    var growthBound: Int { 2 }
    func normalize(_ bytes: [UInt8]) -> [UInt8] { Array(String(decoding: bytes, as: UTF8.self).lowercased().utf8) }
}

/// `Strip`: removes leading and/or trailing Unicode whitespace.
struct StripNormalizer: Normalizer {
    let left: Bool
    let right: Bool
    func normalize(_ bytes: [UInt8]) -> [UInt8] {
        var scalars = Substring(String(decoding: bytes, as: UTF8.self)).unicodeScalars
        if left { while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() } }
        if right { while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() } }
        return Array(String(scalars).utf8)
    }
}
