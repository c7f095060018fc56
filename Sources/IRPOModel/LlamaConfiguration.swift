import Foundation

/// The architecture of a Llama-family decoder, decoded from a Hugging Face `config.json`.
///
/// Covers `model_type` `llama` (including the SmolLM family), `mistral` and `qwen2` (which adds
/// biases to the q/k/v projections). Keys follow HF's snake_case names; missing keys take the
/// defaults of the matching transformers config class. Rotary settings are read from either the
/// legacy top-level `rope_theta` / `rope_scaling` keys or transformers 5's `rope_parameters`.
/// Decoding does not check consistency: call `validate()` (the model initialisers do).
public struct LlamaConfiguration: Codable, Equatable, Sendable {
    /// The llama3 frequency-dependent rotary scaling (`rope_type: "llama3"`).
    public struct Llama3RopeScaling: Codable, Equatable, Sendable {
        /// `factor`: how much the context is stretched for low frequencies.
        public var factor: Double
        /// `low_freq_factor`.
        public var lowFrequencyFactor: Double
        /// `high_freq_factor`.
        public var highFrequencyFactor: Double
        /// `original_max_position_embeddings`: the context length the frequencies were trained for.
        public var originalMaxPositionEmbeddings: Int

        /// Creates llama3 scaling parameters.
        public init(factor: Double, lowFrequencyFactor: Double, highFrequencyFactor: Double, originalMaxPositionEmbeddings: Int) {
            self.factor = factor
            self.lowFrequencyFactor = lowFrequencyFactor
            self.highFrequencyFactor = highFrequencyFactor
            self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
        }
    }

    /// The model types this engine implements.
    public static let supportedModelTypes = ["llama", "mistral", "qwen2"]

    /// `model_type`: `llama`, `mistral` or `qwen2`.
    public var modelType: String
    /// `vocab_size` (V).
    public var vocabularySize: Int
    /// `hidden_size` (C).
    public var hiddenSize: Int
    /// `intermediate_size` (I), the width of the SwiGLU MLP.
    public var intermediateSize: Int
    /// `num_hidden_layers`.
    public var layerCount: Int
    /// `num_attention_heads` (H).
    public var attentionHeads: Int
    /// `num_key_value_heads` (Hkv); defaults to `num_attention_heads`.
    public var keyValueHeads: Int
    /// `head_dim` (D); defaults to `hidden_size / num_attention_heads`.
    public var headDimension: Int
    /// `rms_norm_eps`.
    public var rmsNormEpsilon: Double
    /// `rope_theta` (legacy key) or `rope_parameters.rope_theta`.
    public var ropeTheta: Double
    /// llama3 rotary scaling, if `rope_scaling` / `rope_parameters` ask for it.
    public var ropeScaling: Llama3RopeScaling?
    /// `max_position_embeddings`.
    public var maxPositionEmbeddings: Int
    /// `tie_word_embeddings`: the LM head reuses the token embedding matrix.
    public var tieWordEmbeddings: Bool
    /// Whether q/k/v projections carry a bias (always for qwen2; `attention_bias` is rejected
    /// for llama/mistral by `validate()` because it would also add an o-projection bias).
    public var attentionBias: Bool
    /// `hidden_act`; only `silu` is supported.
    public var hiddenActivation: String
    /// `mlp_bias`; only `false` is supported.
    public var mlpBias: Bool
    /// `sliding_window` (mistral, qwen2 with `use_sliding_window`); `nil` when attention is global.
    public var slidingWindow: Int?
    /// `bos_token_id`.
    public var bosTokenID: Int?
    /// `eos_token_id` (HF allows a number or a list; the list is kept).
    public var eosTokenIDs: [Int]
    /// `initializer_range`: the standard deviation of random initialisation.
    public var initializerRange: Double
    /// `torch_dtype` / `dtype` as written in the file (informational).
    public var dtype: String?

    /// Creates a configuration; defaults follow HF's `LlamaConfig`, scaled down where a test
    /// needs nothing else. `keyValueHeads` and `headDimension` default like HF's.
    public init(
        modelType: String = "llama",
        vocabularySize: Int,
        hiddenSize: Int,
        intermediateSize: Int,
        layerCount: Int,
        attentionHeads: Int,
        keyValueHeads: Int? = nil,
        headDimension: Int? = nil,
        rmsNormEpsilon: Double = 1e-6,
        ropeTheta: Double = 10_000,
        ropeScaling: Llama3RopeScaling? = nil,
        maxPositionEmbeddings: Int = 2048,
        tieWordEmbeddings: Bool = false,
        attentionBias: Bool? = nil,
        hiddenActivation: String = "silu",
        mlpBias: Bool = false,
        slidingWindow: Int? = nil,
        bosTokenID: Int? = nil,
        eosTokenIDs: [Int] = [],
        initializerRange: Double = 0.02,
        dtype: String? = nil
    ) {
        self.modelType = modelType
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.attentionHeads = attentionHeads
        self.keyValueHeads = keyValueHeads ?? attentionHeads
        self.headDimension = headDimension ?? (attentionHeads > 0 ? hiddenSize / attentionHeads : 0)
        self.rmsNormEpsilon = rmsNormEpsilon
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias ?? (modelType == "qwen2")
        self.hiddenActivation = hiddenActivation
        self.mlpBias = mlpBias
        self.slidingWindow = slidingWindow
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.initializerRange = initializerRange
        self.dtype = dtype
    }

    /// Query width `H * D`.
    public var queryWidth: Int { attentionHeads * headDimension }
    /// Key/value width `Hkv * D`.
    public var keyValueWidth: Int { keyValueHeads * headDimension }

    /// The number of parameters this configuration implies (the floats of its `ParameterLayout`),
    /// computed with overflow-checked arithmetic.
    /// - Throws: `ModelError.invalidConfiguration` when the count does not fit in an Int.
    public func checkedParameterCount() throws -> Int {
        func overflow() -> ModelError {
            .invalidConfiguration(key: "num_hidden_layers", value: "\(layerCount)",
                                  reason: "with these sizes the parameter count overflows; the file is damaged")
        }
        func product(_ factors: Int...) throws -> Int {
            try factors.reduce(1) { total, factor in
                let (result, overflowed) = total.multipliedReportingOverflow(by: max(0, factor))
                guard !overflowed else { throw overflow() }
                return result
            }
        }
        func sum(_ terms: Int...) throws -> Int {
            try terms.reduce(0) { total, term in
                let (result, overflowed) = total.addingReportingOverflow(term)
                guard !overflowed else { throw overflow() }
                return result
            }
        }
        let query = try product(attentionHeads, headDimension), keyValue = try product(keyValueHeads, headDimension)
        let attention = try sum(try product(2, query, hiddenSize), try product(2, keyValue, hiddenSize),
                                attentionBias ? try sum(query, keyValue, keyValue) : 0)
        let perLayer = try sum(attention, try product(3, hiddenSize, intermediateSize), try product(2, hiddenSize))
        let embedding = try product(vocabularySize, hiddenSize)
        return try sum(embedding, try product(perLayer, layerCount), hiddenSize, tieWordEmbeddings ? 0 : embedding)
    }

    /// Checks that the configuration describes a model this engine can run, with every
    /// dimension within `ModelLimits`.
    ///
    /// - Throws: `ModelError.invalidConfiguration` naming the key and the value at fault.
    public func validate() throws {
        func fail(_ key: String, _ value: Any, _ why: String) -> ModelError {
            .invalidConfiguration(key: key, value: "\(value)", reason: why)
        }
        guard Self.supportedModelTypes.contains(modelType) else {
            throw fail("model_type", modelType, "unsupported architecture; supported: \(Self.supportedModelTypes.joined(separator: ", ")) (SmolLM models are llama)")
        }
        let positive: [(String, Int)] = [
            ("vocab_size", vocabularySize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
            ("num_hidden_layers", layerCount), ("num_attention_heads", attentionHeads),
            ("num_key_value_heads", keyValueHeads), ("head_dim", headDimension),
            ("max_position_embeddings", maxPositionEmbeddings),
        ]
        for (key, value) in positive where value <= 0 {
            throw fail(key, value, "must be a positive integer")
        }
        guard vocabularySize <= ModelLimits.maxVocabularySize else {
            throw fail("vocab_size", vocabularySize, "is larger than token ids (Int32) can address")
        }
        let bounded: [(String, Int, Int)] = [
            ("hidden_size", hiddenSize, ModelLimits.maxDimension), ("intermediate_size", intermediateSize, ModelLimits.maxDimension),
            ("head_dim", headDimension, ModelLimits.maxDimension), ("num_hidden_layers", layerCount, ModelLimits.maxLayers),
            ("num_attention_heads", attentionHeads, ModelLimits.maxHeads), ("num_key_value_heads", keyValueHeads, ModelLimits.maxHeads),
            ("max_position_embeddings", maxPositionEmbeddings, ModelLimits.maxPositionEmbeddings),
        ]
        for (key, value, limit) in bounded where value > limit {
            throw fail(key, value, "is over the limit of \(limit); the file is damaged or describes a model far beyond this engine")
        }
        // Both factors are bounded above, so the product cannot overflow.
        guard attentionHeads * headDimension <= ModelLimits.maxDimension else {
            throw fail("num_attention_heads", attentionHeads, "times head_dim (\(headDimension)) is over the limit of \(ModelLimits.maxDimension)")
        }
        let parameters = try checkedParameterCount()
        guard parameters <= ModelLimits.maxParameters else {
            throw fail("num_hidden_layers", layerCount, "with these sizes the model has \(parameters) parameters, over the limit of \(ModelLimits.maxParameters)")
        }
        guard hiddenSize % attentionHeads == 0 else {
            throw fail("hidden_size", hiddenSize, "must be divisible by num_attention_heads (\(attentionHeads))")
        }
        guard attentionHeads % keyValueHeads == 0 else {
            throw fail("num_key_value_heads", keyValueHeads, "must divide num_attention_heads (\(attentionHeads))")
        }
        guard headDimension % 2 == 0 else {
            throw fail("head_dim", headDimension, "must be even for rotary embeddings")
        }
        guard rmsNormEpsilon > 0, rmsNormEpsilon.isFinite else {
            throw fail("rms_norm_eps", rmsNormEpsilon, "must be a positive number")
        }
        guard ropeTheta > 0, ropeTheta.isFinite else {
            throw fail("rope_theta", ropeTheta, "must be a positive number")
        }
        if let scaling = ropeScaling {
            guard scaling.factor > 0, scaling.lowFrequencyFactor > 0,
                  scaling.highFrequencyFactor > scaling.lowFrequencyFactor,
                  scaling.originalMaxPositionEmbeddings > 0 else {
                throw fail("rope_scaling", scaling, "llama3 scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor, original_max_position_embeddings > 0")
            }
        }
        guard hiddenActivation == "silu" else {
            throw fail("hidden_act", hiddenActivation, "only silu (SwiGLU) is supported")
        }
        guard !mlpBias else { throw fail("mlp_bias", mlpBias, "MLP biases are not supported") }
        if attentionBias && modelType != "qwen2" {
            throw fail("attention_bias", attentionBias, "attention biases are only supported for qwen2 (q/k/v bias)")
        }
    }
}
