/// Upper bounds on the dimensions a model configuration (config.json or GGUF metadata) may
/// declare, in one place (docs/limits.md lists them). They sit far above any supported model and
/// low enough that the parameter layout's arithmetic cannot overflow; the loaders also check
/// every tensor the configuration implies against the file's tensors before allocating.
public enum ModelLimits {
    /// Largest `hidden_size`, `intermediate_size`, `head_dim` and attention width
    /// (`num_attention_heads * head_dim`).
    public static let maxDimension = 1 << 20
    /// Largest `vocab_size` (token ids are Int32).
    public static let maxVocabularySize = Int(Int32.max)
    /// Most layers (`num_hidden_layers`).
    public static let maxLayers = 4096
    /// Most attention heads (`num_attention_heads`, `num_key_value_heads`).
    public static let maxHeads = 1 << 16
    /// Longest context (`max_position_embeddings`).
    public static let maxPositionEmbeddings = 1 << 24
    /// Most parameters a configuration may imply (2^40, 4 TiB of f32).
    public static let maxParameters = 1 << 40
    /// Largest `config.json`, in bytes (16 MiB; real ones are a few kilobytes).
    public static let maxConfigurationBytes = 16 << 20
}
