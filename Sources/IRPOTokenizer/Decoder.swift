/// A decoder stage of tokenizer.json: turns token strings back into text pieces (HF `decode_chain`).
protocol Decoder: Sendable {
    func decodeChain(_ tokens: [String]) -> [String]
    /// An upper bound on output bytes per input byte (`TokenizerLimits.maxTextGrowth` bounds it).
    var growthBound: Int { get }
}

extension Decoder {
    var growthBound: Int { 1 }
}

/// Builds the decoder named by the JSON `"type"`, as HF `tokenizers` names them.
func makeDecoder(_ json: JSONReader) throws -> Decoder {
    let type = try json.componentType()
    switch type {
    case "ByteLevel":
        return ByteLevelDecoder()
    case "Sequence":
        return SequenceDecoder(stages: try json.required("decoders").array().map(makeDecoder))
    case "Replace":
        let pattern = try json.required("pattern")
        guard let literal = try pattern.optionalString("String"), !literal.isEmpty else {
            throw pattern.error("Replace decoder needs a non-empty {\"String\": ...} pattern (Regex is not supported)")
        }
        return ReplaceDecoder(pattern: literal, content: try json.string("content"))
    case "ByteFallback":
        return ByteFallbackDecoder()
    case "Fuse":
        return FuseDecoder()
    case "Strip":
        let content = try json.string("content")
        guard let scalar = content.unicodeScalars.first, content.unicodeScalars.count == 1 else {
            throw json.error("Strip content must be one character")
        }
        return StripDecoder(content: scalar, start: try json.int("start"), stop: try json.int("stop"))
    case "Metaspace":
        let replacement = try json.string("replacement")
        guard let scalar = replacement.unicodeScalars.first, replacement.unicodeScalars.count == 1 else {
            throw json.error("replacement must be one character")
        }
        let scheme = try json.optionalString("prepend_scheme")
            ?? (try json.bool("add_prefix_space", default: true) ? "always" : "never")
        return MetaspaceDecoder(replacement: scalar, stripsFirst: scheme != "never")
    default:
        throw json.error("unsupported decoder type \"\(type)\"; supported: ByteLevel, Sequence, Replace, "
            + "ByteFallback, Fuse, Strip, Metaspace")
    }
}

/// `ByteLevel`: maps each token's byte-level characters back to bytes (a token with a character outside the
/// alphabet contributes its UTF-8 bytes unchanged), then decodes all of it as UTF-8, replacing invalid
/// sequences with U+FFFD.
struct ByteLevelDecoder: Decoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            if let decoded = ByteLevelAlphabet.decode(token) { bytes += decoded } else { bytes += token.utf8 }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}

/// `Sequence`: the stages in order.
struct SequenceDecoder: Decoder {
    let stages: [Decoder]
    func decodeChain(_ tokens: [String]) -> [String] { stages.reduce(tokens) { $1.decodeChain($0) } }
    var growthBound: Int { stages.reduce(1) { saturatingProduct($0, $1.growthBound) } }
}

/// `Replace`: literal replacement in every token.
struct ReplaceDecoder: Decoder {
    let pattern: String
    let content: String
    var growthBound: Int { ReplaceNormalizer(pattern: Array(pattern.utf8), content: Array(content.utf8)).growthBound }
    func decodeChain(_ tokens: [String]) -> [String] {
        let patternBytes = Array(pattern.utf8), contentBytes = Array(content.utf8)
        return tokens.map { token in
            let normalized = ReplaceNormalizer(pattern: patternBytes, content: contentBytes).normalize(Array(token.utf8))
            return String(decoding: normalized, as: UTF8.self)
        }
    }
}

/// `ByteFallback`: runs of `<0xNN>` tokens become the text they encode; an invalid UTF-8 run becomes one
/// U+FFFD per byte.
struct ByteFallbackDecoder: Decoder {
    static func byteValue(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0] == 0x3C, utf8[1] == 0x30, utf8[2] == 0x78, utf8[5] == 0x3E else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        var result: [String] = []
        var pending: [UInt8] = []
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                result.append(text)
            } else {
                result.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = Self.byteValue(token) {
                pending.append(byte)
            } else {
                flush()
                result.append(token)
            }
        }
        flush()
        return result
    }
}

/// `Fuse`: joins all tokens into one.
struct FuseDecoder: Decoder {
    func decodeChain(_ tokens: [String]) -> [String] { [tokens.joined()] }
}

/// `Strip`: removes up to `start` leading and `stop` trailing `content` characters from every token.
struct StripDecoder: Decoder {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var lower = 0
            while lower < min(start, scalars.count), scalars[lower] == content { lower += 1 }
            var upper = scalars.count
            var removed = 0
            while removed < stop, upper > lower, scalars[upper - 1] == content { upper -= 1; removed += 1 }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[lower..<upper])
            return String(view)
        }
    }
}

/// `Metaspace`: the replacement character becomes a space; in the first token it is dropped (unless the
/// prepend scheme is `never`).
struct MetaspaceDecoder: Decoder {
    let replacement: Unicode.Scalar
    let stripsFirst: Bool

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            var view = String.UnicodeScalarView()
            for (position, scalar) in token.unicodeScalars.enumerated() {
                if scalar == replacement {
                    if index == 0 && position == 0 && stripsFirst { continue }
                    view.append(" ")
                } else {
                    view.append(scalar)
                }
            }
            return String(view)
        }
    }
}
