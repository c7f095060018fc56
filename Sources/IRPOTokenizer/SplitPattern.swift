/// The split regexes of the known byte-level BPE families, matched by hand with the semantics the HF
/// `tokenizers` library gets from Oniguruma (leftmost match, alternatives tried in order, backtracking).
///
/// Any other regex is rejected when the tokenizer is loaded: a pattern we cannot match exactly must be an
/// error, never a silently different split.
enum SplitPattern: Sendable, Equatable {
    /// GPT-2 (and ByteLevel with `use_regex`): contractions, ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`,
    /// `\s+(?!\S)`, `\s+`.
    case gpt2
    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1): case-insensitive contractions,
    /// `[^\r\n\p{L}\p{N}]?\p{L}+`, `\p{N}{1,maxDigits}`, ` ?[^\s\p{L}\p{N}]+[\r\n]*`, `\s*[\r\n]+`,
    /// `\s+(?!\S)`, `\s+`.
    case llama3(maxDigits: Int)

    static let gpt2Source = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2Source = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// The matcher for a regex source from tokenizer.json, or nil when it is not one we know.
    init?(regex: String) {
        switch regex {
        case Self.gpt2Source: self = .gpt2
        case Self.llama3Source: self = .llama3(maxDigits: 3)
        case Self.qwen2Source: self = .llama3(maxDigits: 1)
        default: return nil
        }
    }

    /// The byte ranges of the matches in `text` (valid UTF-8). Every character belongs to some
    /// alternative, so the matches tile the text.
    func matches(in text: ArraySlice<UInt8>) -> [Range<Int>] {
        let scalars = ClassifiedScalars(text)
        var result: [Range<Int>] = []
        result.reserveCapacity(scalars.count / 3 + 1)
        var index = 0
        while index < scalars.count {
            let end: Int
            switch self {
            case .gpt2: end = scalars.matchGPT2(at: index)
            case .llama3(let maxDigits): end = scalars.matchLlama3(at: index, maxDigits: maxDigits)
            }
            result.append(scalars.offsets[index]..<scalars.offsets[end])
            index = end
        }
        return result
    }
}

/// The scalars of a UTF-8 text with their character classes and byte offsets.
struct ClassifiedScalars {
    static let letter: UInt8 = 1, number: UInt8 = 2, space: UInt8 = 4, newline: UInt8 = 8

    var scalars: [UInt32] = []
    var classes: [UInt8] = []
    /// Byte offset of each scalar in the original buffer, plus the end offset.
    var offsets: [Int] = []
    var count: Int { scalars.count }

    init(_ text: ArraySlice<UInt8>) {
        scalars.reserveCapacity(text.count)
        classes.reserveCapacity(text.count)
        offsets.reserveCapacity(text.count + 1)
        var i = text.startIndex
        while i < text.endIndex {
            let lead = text[i]
            var value: UInt32
            var length: Int
            if lead < 0x80 {
                value = UInt32(lead); length = 1
            } else if lead < 0xE0 {
                value = UInt32(lead & 0x1F); length = 2
            } else if lead < 0xF0 {
                value = UInt32(lead & 0x0F); length = 3
            } else {
                value = UInt32(lead & 0x07); length = 4
            }
            length = min(length, text.endIndex - i)
            for k in 1..<max(length, 1) { value = value << 6 | UInt32(text[i + k] & 0x3F) }
            scalars.append(value)
            classes.append(Self.classify(value))
            offsets.append(i)
            i += length
        }
        offsets.append(text.endIndex)
    }

    static let asciiClasses: [UInt8] = (0..<128).map { byte in
        switch byte {
        case 0x0A, 0x0D: return space | newline
        case 0x09, 0x0B, 0x0C, 0x20: return space
        case 0x30...0x39: return number
        case 0x41...0x5A, 0x61...0x7A: return letter
        default: return 0
        }
    }

    @inline(__always)
    static func classify(_ value: UInt32) -> UInt8 {
        if value < 128 { return asciiClasses[Int(value)] }
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        let properties = scalar.properties
        if properties.isWhitespace { return space }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return letter
        case .decimalNumber, .letterNumber, .otherNumber: return number
        default: return 0
        }
    }

    @inline(__always) func isOther(_ i: Int) -> Bool { classes[i] == 0 }

    /// End of the run of scalars from `start` whose class intersects `mask`.
    @inline(__always)
    func run(_ mask: UInt8, from start: Int) -> Int {
        var i = start
        while i < count, classes[i] & mask != 0 { i += 1 }
        return i
    }

    /// End of the run of "other" scalars (not space, letter or number) from `start`.
    @inline(__always)
    func otherRun(from start: Int) -> Int {
        var i = start
        while i < count, classes[i] == 0 { i += 1 }
        return i
    }

    /// `\s+(?!\S)|\s+` at `i`, which is a space.
    @inline(__always)
    func matchSpaces(at i: Int) -> Int {
        let end = run(Self.space, from: i)
        if end == count || end - i < 2 { return end }
        return end - 1
    }

    /// The contraction after an apostrophe at `i`: `'s|'t|'re|'ve|'m|'ll|'d`, optionally ignoring case
    /// (with Unicode simple case folding, so U+017F LONG S matches `s`).
    func matchContraction(at i: Int, ignoringCase: Bool) -> Int? {
        guard scalars[i] == 0x27, i + 1 < count else { return nil }
        func folded(_ value: UInt32) -> UInt32 {
            guard ignoringCase else { return value }
            if value >= 0x41 && value <= 0x5A { return value + 32 }
            if value == 0x17F { return 0x73 }
            return value
        }
        let first = folded(scalars[i + 1])
        switch first {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        default: break
        }
        guard i + 2 < count else { return nil }
        let second = folded(scalars[i + 2])
        switch (first, second) {
        case (0x72, 0x65), (0x76, 0x65), (0x6C, 0x6C): return i + 3  // re ve ll
        default: return nil
        }
    }

    func matchGPT2(at i: Int) -> Int {
        if let end = matchContraction(at: i, ignoringCase: false) { return end }
        var start = i
        if scalars[i] == 0x20, i + 1 < count, classes[i + 1] & Self.space == 0 { start = i + 1 }
        let kind = classes[start]
        if kind & Self.letter != 0 { return run(Self.letter, from: start) }
        if kind & Self.number != 0 { return run(Self.number, from: start) }
        if kind == 0 { return otherRun(from: start) }
        return matchSpaces(at: i)
    }

    func matchLlama3(at i: Int, maxDigits: Int) -> Int {
        if let end = matchContraction(at: i, ignoringCase: true) { return end }
        let kind = classes[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if kind & (Self.letter | Self.number | Self.newline) == 0, i + 1 < count, classes[i + 1] & Self.letter != 0 {
            return run(Self.letter, from: i + 1)
        }
        if kind & Self.letter != 0 { return run(Self.letter, from: i) }
        // \p{N}{1,maxDigits}
        if kind & Self.number != 0 { return min(run(Self.number, from: i), i + maxDigits) }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        var start = i
        if scalars[i] == 0x20, i + 1 < count, classes[i + 1] == 0 { start = i + 1 }
        if classes[start] == 0 { return run(Self.newline, from: otherRun(from: start)) }
        // \s*[\r\n]+ : up to and including the last newline of the run of spaces
        let end = run(Self.space, from: i)
        var last = end - 1
        while last >= i, classes[last] & Self.newline == 0 { last -= 1 }
        if last >= i { return last + 1 }
        // \s+(?!\S)|\s+
        return matchSpaces(at: i)
    }
}
