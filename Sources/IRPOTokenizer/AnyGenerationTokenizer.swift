/// A type-erased `GenerationTokenizer`.
public struct AnyGenerationTokenizer: GenerationTokenizer {
    private let base: any GenerationTokenizer

    /// Wraps `base`.
    public init(_ base: any GenerationTokenizer) { self.base = base }

    /// Decodes with the wrapped tokenizer.
    public func decode(_ tokens: [Int]) -> String { base.decode(tokens) }
}
