/// The bounds of tokenizer files, in one place with the chat template bounds below
/// (docs/limits.md lists them all). Past a bound loading fails with an error naming the file,
/// the value and the limit, before anything is allocated from the value.
public enum TokenizerLimits {
    /// Largest token id a tokenizer file may use.
    public static let maxTokenID = (1 << 24) - 1
    /// Ids must be nearly dense: the largest id of a vocabulary (model vocabulary plus added
    /// tokens) is below its number of entries plus this gap, so one huge id cannot make the
    /// id-indexed tables huge.
    public static let maxIDGap = 1 << 16
    /// Most output bytes per input byte of the normalizer, and of the decoder, a tokenizer file
    /// describes (the product over a `Sequence`): a chain of expanding `Replace` stages would
    /// otherwise double the text at every stage.
    public static let maxTextGrowth = 256

    /// Checks `id` against both bounds for a vocabulary of `entries` tokens.
    public static func isAcceptable(_ id: Int, entries: Int) -> Bool {
        id >= 0 && id <= maxTokenID && id < entries + maxIDGap
    }
}

/// The bounds of chat template parsing and rendering, in one place (docs/limits.md lists them).
/// A template comes from a model's files, so it is untrusted: past any of these bounds parsing or
/// rendering fails with a `ChatTemplateError` naming the limit, never a crash or an unbounded
/// allocation.
public enum JinjaLimits {
    /// Largest template source, in bytes.
    public static let maxTemplateBytes = 1 << 20
    /// Deepest expression: nested parentheses, lists and calls while parsing, and the depth of the
    /// expression tree (which the evaluator recurses through).
    public static let maxExpressionDepth = 128
    /// Deepest nesting of `if`/`for`/block `set` statements.
    public static let maxBlockDepth = 128
    /// Deepest nesting of lists and dictionaries built while rendering.
    public static let maxValueDepth = 128
    /// Largest string a template may build, and largest rendered output, in UTF-8 bytes.
    public static let maxStringBytes = 1 << 20
    /// Longest list a template may build (`range()`, `*`, `+`, filters).
    public static let maxListCount = 100_000
    /// Widest indentation of the `indent` and `tojson` filters.
    public static let maxIndentWidth = 1024
    /// Most evaluation steps of one render (expressions evaluated, loop iterations, items compared),
    /// so a template cannot run for hours.
    public static let maxSteps = 1_000_000
}
