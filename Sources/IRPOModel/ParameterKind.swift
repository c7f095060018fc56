/// Every kind of parameter tensor a Llama-family model has, in storage order.
///
/// This enum is the single source of the parameter layout: shapes, which kinds a configuration
/// has, and the Hugging Face tensor names (the only place they appear). The order matters: the
/// q/k/v weights (and biases) and the gate/up weights are adjacent, so each group is one
/// `[rows, C]` matrix and the model multiplies it in one GEMM.
public enum ParameterKind: Int, CaseIterable, Sendable {
    /// Token embedding `[V, C]` (also the LM head when embeddings are tied).
    case embedding
    /// Per layer: RMSNorm weight before attention `[C]`.
    case attentionNorm
    /// Per layer: query projection `[H*D, C]`.
    case queryWeight
    /// Per layer: key projection `[Hkv*D, C]`.
    case keyWeight
    /// Per layer: value projection `[Hkv*D, C]`.
    case valueWeight
    /// Per layer (qwen2): query bias `[H*D]`.
    case queryBias
    /// Per layer (qwen2): key bias `[Hkv*D]`.
    case keyBias
    /// Per layer (qwen2): value bias `[Hkv*D]`.
    case valueBias
    /// Per layer: attention output projection `[C, H*D]`.
    case outputWeight
    /// Per layer: RMSNorm weight before the MLP `[C]`.
    case mlpNorm
    /// Per layer: SwiGLU gate projection `[I, C]`.
    case gateWeight
    /// Per layer: SwiGLU up projection `[I, C]`.
    case upWeight
    /// Per layer: MLP down projection `[C, I]`.
    case downWeight
    /// Final RMSNorm weight `[C]`.
    case finalNorm
    /// LM head `[V, C]`, only when embeddings are untied.
    case lmHead

    /// Whether there is one tensor of this kind per decoder layer.
    public var isPerLayer: Bool {
        switch self {
        case .embedding, .finalNorm, .lmHead: return false
        default: return true
        }
    }

    /// Whether a model with `configuration` has this kind of tensor.
    public func isPresent(in configuration: LlamaConfiguration) -> Bool {
        switch self {
        case .queryBias, .keyBias, .valueBias: return configuration.attentionBias
        case .lmHead: return !configuration.tieWordEmbeddings
        default: return true
        }
    }

    /// Whether this is an RMSNorm weight (initialised to ones).
    public var isNormWeight: Bool { self == .attentionNorm || self == .mlpNorm || self == .finalNorm }

    /// Whether this is a bias (initialised to zeros).
    public var isBias: Bool { self == .queryBias || self == .keyBias || self == .valueBias }

    /// The tensor's shape (row-major; linear weights are `[out, in]` as in HF).
    public func shape(in configuration: LlamaConfiguration) -> [Int] {
        let c = configuration
        switch self {
        case .embedding, .lmHead: return [c.vocabularySize, c.hiddenSize]
        case .attentionNorm, .mlpNorm, .finalNorm: return [c.hiddenSize]
        case .queryWeight: return [c.queryWidth, c.hiddenSize]
        case .queryBias: return [c.queryWidth]
        case .keyWeight, .valueWeight: return [c.keyValueWidth, c.hiddenSize]
        case .keyBias, .valueBias: return [c.keyValueWidth]
        case .outputWeight: return [c.hiddenSize, c.queryWidth]
        case .gateWeight, .upWeight: return [c.intermediateSize, c.hiddenSize]
        case .downWeight: return [c.hiddenSize, c.intermediateSize]
        }
    }

    /// The Hugging Face tensor name of this kind in `layer` (ignored for global kinds).
    public func huggingFaceName(layer: Int) -> String {
        let prefix = "model.layers.\(layer)."
        switch self {
        case .embedding: return "model.embed_tokens.weight"
        case .attentionNorm: return prefix + "input_layernorm.weight"
        case .queryWeight: return prefix + "self_attn.q_proj.weight"
        case .queryBias: return prefix + "self_attn.q_proj.bias"
        case .keyWeight: return prefix + "self_attn.k_proj.weight"
        case .keyBias: return prefix + "self_attn.k_proj.bias"
        case .valueWeight: return prefix + "self_attn.v_proj.weight"
        case .valueBias: return prefix + "self_attn.v_proj.bias"
        case .outputWeight: return prefix + "self_attn.o_proj.weight"
        case .mlpNorm: return prefix + "post_attention_layernorm.weight"
        case .gateWeight: return prefix + "mlp.gate_proj.weight"
        case .upWeight: return prefix + "mlp.up_proj.weight"
        case .downWeight: return prefix + "mlp.down_proj.weight"
        case .finalNorm: return "model.norm.weight"
        case .lmHead: return "lm_head.weight"
        }
    }
}
