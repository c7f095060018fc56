import IRPOModel
import IRPOTensor
import IRPOTokenizer

/// Batched sampling from a `LlamaModel` over a KV cache.
///
/// `generate` runs every (prompt, sample) pair to completion with continuous batching: up to
/// `maxBatchSize` samples decode together, one token per step; a finished sample leaves its
/// slot and the next waiting sample takes it. The samples of one prompt share one prefill: the
/// prompt is run once, and its cached keys/values are copied into the other samples' slots.
///
/// Reproducibility: sample `j` of prompt `i` draws its random numbers from
/// `SampleStream(seed:prompt:sample:)`, prompts are always prefilled alone, and the decode
/// steps use `InvariantMatmul`, which computes each row the same way whatever the batch,
/// so a sample's tokens and log-probs are bit-identical whatever the batch size, the thread
/// count or its neighbours.
///
/// With the batch-invariant kernel the generator packs the model's weights for it when it is
/// created (`DecodeWeights`, about the size of the model's linear layers): it generates from the
/// weights as they were then. Make a new generator after changing the model's weights.
public final class Generator {
    /// The model.
    public let model: LlamaModel
    /// Tokens that end a sample.
    public let endOfSequenceTokenIDs: Set<Int32>
    /// Most samples decoded together (KV-cache slots).
    public let maxBatchSize: Int
    /// Decodes text for stop strings and results; without it results carry only token ids.
    public let tokenizer: AnyGenerationTokenizer?
    /// The kernel for decode steps; `.batchInvariant` (default) keeps samples independent of
    /// the batch, `.blas` is faster at large batches but gives up that guarantee.
    public let matmul: DecodeMatmul
    /// The weights packed for `InvariantMatmul` (nil with `.blas`).
    let packedWeights: DecodeWeights?
    /// How the batch-invariant kernel holds the weights (`.f32`: exactly the model's).
    public var decodeWeights: DecodeWeightFormat { packedWeights?.format ?? .f32 }
    /// A fixed number of prompt-only KV slots instead of the one `GenerationRun` derives (nil);
    /// tests set it to force the fallback where a sample prefills its prompt in its own slot.
    let promptSlotLimit: Int?

    /// A generator for `model`.
    /// - Parameters:
    ///   - endOfSequenceTokenIDs: defaults to the model configuration's `eos_token_id`s.
    ///   - maxBatchSize: KV-cache slots (>= 1).
    ///   - tokenizer: needed for text and stop strings.
    ///   - matmul: the decode-step kernel (see `matmul`).
    ///   - decodeWeights: how the batch-invariant kernel holds the weights: `.f32` (default,
    ///     exact) or `.q8_0` (a quarter of the memory traffic; samples come from the model with
    ///     its linear weights quantised to Q8_0, still batch-invariant). Ignored with `.blas`.
    public convenience init(model: LlamaModel, endOfSequenceTokenIDs: Set<Int32>? = nil, maxBatchSize: Int = 32,
                            tokenizer: (any GenerationTokenizer)? = nil, matmul: DecodeMatmul = .batchInvariant,
                            decodeWeights: DecodeWeightFormat = .f32) {
        self.init(model: model, endOfSequenceTokenIDs: endOfSequenceTokenIDs, maxBatchSize: maxBatchSize, tokenizer: tokenizer,
                  matmul: matmul, promptSlotLimit: nil, decodeWeights: decodeWeights)
    }

    /// A generator with a fixed number of prompt-only slots (see `promptSlotLimit`).
    init(model: LlamaModel, endOfSequenceTokenIDs: Set<Int32>?, maxBatchSize: Int,
         tokenizer: (any GenerationTokenizer)?, matmul: DecodeMatmul, promptSlotLimit: Int?, decodeWeights: DecodeWeightFormat = .f32) {
        self.promptSlotLimit = promptSlotLimit
        self.matmul = matmul
        precondition(maxBatchSize >= 1, "Generator.maxBatchSize must be at least 1")
        packedWeights = matmul == .batchInvariant ? DecodeWeights(model: model, format: decodeWeights) : nil
        self.model = model
        self.endOfSequenceTokenIDs = endOfSequenceTokenIDs ?? Set(model.configuration.eosTokenIDs.map { Int32(truncatingIfNeeded: $0) })
        self.maxBatchSize = maxBatchSize
        self.tokenizer = tokenizer.map(AnyGenerationTokenizer.init)
    }

    /// Generates `samplesPerPrompt` completions for every prompt.
    ///
    /// - Parameters:
    ///   - prompts: token ids per prompt (each non-empty, ids inside the vocabulary).
    ///   - parameters: sampling and stopping settings.
    ///   - samplesPerPrompt: completions per prompt (>= 1).
    ///   - promptIDs: the number that identifies prompt `i` in the random streams (e.g. a dataset
    ///     row), so a prompt gets the same samples in any request; defaults to `i`.
    ///   - onToken: called on the calling thread after every sampled token, in a fixed order.
    /// - Returns: results indexed `[prompt][sample]`.
    /// - Throws: `GenerationError` for invalid parameters or prompts, or stop strings without a
    ///   tokenizer; `ModelError` from the model.
    public func generate(
        prompts: [[Int32]], parameters: GenerateParameters, samplesPerPrompt: Int = 1,
        promptIDs: [Int]? = nil, onToken: ((GenerationEvent) -> Void)? = nil
    ) throws -> [[GenerationResult]] {
        try parameters.validate()
        guard samplesPerPrompt >= 1 else {
            throw GenerationError.invalidParameter(key: "n", value: "\(samplesPerPrompt)", expected: "an integer >= 1")
        }
        if !parameters.stop.isEmpty && tokenizer == nil {
            throw GenerationError.invalidRequest("stop strings need a tokenizer to decode text; load the model with its tokenizer or remove the stop strings")
        }
        if let ids = promptIDs, ids.count != prompts.count {
            throw GenerationError.invalidRequest("\(ids.count) prompt ids were given for \(prompts.count) prompts; pass one id per prompt")
        }
        let vocabulary = model.configuration.vocabularySize
        for (index, prompt) in prompts.enumerated() {
            guard !prompt.isEmpty else {
                throw GenerationError.invalidRequest("prompt \(index) is empty; every prompt needs at least one token (e.g. BOS)")
            }
            if let bad = prompt.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
                throw GenerationError.invalidRequest("prompt \(index) has token id \(bad), outside the model's vocabulary 0..<\(vocabulary); check the tokenizer matches the model")
            }
        }
        var run = GenerationRun(generator: self, prompts: prompts, parameters: parameters,
                                samplesPerPrompt: samplesPerPrompt, promptIDs: promptIDs ?? Array(prompts.indices), onToken: onToken)
        return try run.execute()
    }
}
